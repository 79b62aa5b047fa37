//! What each column and expression of a planner's query may be used for.
//!
//! The closed query model starts from the register model: every stored
//! column has a *role* decided by what it holds, not by the query. A coded
//! column is a dimension with its code list as the domain; a euro amount
//! or a day count is a measure with declared bounds; a date can be compared
//! and cut into years, quarters and months; the pseudonym and record ids
//! only join and count. An expression gets its role from an allowlist of
//! total operations (no operation here can raise an error on a stored
//! value), and anything not on the list is refused before the query runs.

mod calls;
mod catalogue;

pub use catalogue::{MEASURES, PUBLIC_TABLES, measure_bounds, stored_role};

use super::Refusal;
use super::conditions::{Grain, check_comparison};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::{Expr, Operator};
use peitto_model::codes::CodeList;
use std::sync::Arc;

/// The closed set of values a dimension can take, enumerated without
/// looking at the data.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// The codes of a model code list.
    Codes(&'static CodeList),
    /// A code list whose codes are stored as numbers.
    IntCodes(&'static CodeList),
    /// Yes or no.
    Bool,
    /// Kuntanumero: the municipalities of the organisation register.
    Municipality,
    /// The values of a column of a public reference table.
    Public {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// Calendar years in the project's range.
    Years,
    /// Quarters 1–4.
    Quarters,
    /// Months 1–12.
    Months,
    /// ISO weeks 1–53.
    Weeks,
    /// Days of the month 1–31.
    Days,
    /// Days of the week (0–6, Sunday first; ISO: 1–7, Monday first).
    Weekdays {
        /// ISO numbering.
        iso: bool,
    },
    /// Ages in whole years, 0–110.
    Ages,
    /// The literal values a `CASE` (or a constant) can give: bins the
    /// query itself declares.
    Literals(Vec<ScalarValue>),
}

/// Per-person contribution bounds of a measure, and the bins a condition
/// may cut it at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Smallest contribution of one person to one cell.
    pub lo: f64,
    /// Largest contribution of one person to one cell.
    pub hi: f64,
    /// Bin edges of conditions on it.
    pub grain: Grain,
}

/// What a column or expression may be used for.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// The privacy unit, `person_key`, unchanged.
    Unit,
    /// A record id (pseudonymised) of the named entity, unchanged: joins
    /// the record it references, nothing else.
    Key(&'static str),
    /// A dimension with a declared domain.
    Dim(Domain),
    /// A declared numeric measure.
    Measure(Bounds),
    /// A date: compared, cut into parts, passed to the domain functions.
    Date,
    /// Any other value: compared and computed with, never grouped by.
    Value,
}

/// One column of a plan node as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Col {
    /// Its role.
    pub role: Role,
    /// Whether it is computed from person-level rows.
    pub person: bool,
    /// Stored column it is, or is computed from (for messages).
    pub from: String,
    /// What it is in the stored columns, through every projection below:
    /// the rules for conditions read the whole computation, not the name a
    /// subquery gave it (a date moved by three days in a subquery was
    /// compared as the person's own date, 2026-12-07). Person data only.
    pub def: Option<Arc<Expr>>,
}

impl Col {
    /// A column of public or constant data.
    pub fn public(role: Role) -> Col {
        Col {
            role,
            person: false,
            from: String::new(),
            def: None,
        }
    }

    /// What this column is in stored columns, or `local` where it has no
    /// person data behind it.
    pub fn stored<'a>(&'a self, local: &'a Expr) -> &'a Expr {
        self.def.as_deref().unwrap_or(local)
    }
}

/// `expr` with each column of person data replaced by what it is in the
/// stored columns.
pub(crate) fn inline(expr: &Expr, schema: &DFSchema, cols: &[Col]) -> Expr {
    use datafusion::common::tree_node::Transformed;
    expr.clone()
        .transform_up(|e| {
            if let Expr::Column(c) = &e
                && let Ok(i) = schema.index_of_column(c)
                && let Some(def) = cols.get(i).and_then(|c| c.def.as_deref())
            {
                return Ok(Transformed::yes(def.clone()));
            }
            Ok(Transformed::no(e))
        })
        .map_or_else(|_| expr.clone(), |t| t.data)
}

/// Strips aliases and casts that type coercion adds.
pub fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(a) => strip(&a.expr),
        Expr::Cast(c) => strip(&c.expr),
        Expr::TryCast(c) => strip(&c.expr),
        other => other,
    }
}

/// The literal `expr` is, through aliases and casts.
pub fn literal(expr: &Expr) -> Option<&ScalarValue> {
    match strip(expr) {
        Expr::Literal(v, _) => Some(v),
        _ => None,
    }
}

/// Whether a literal is a non-zero number (a divisor that cannot fail).
fn nonzero_number(v: &ScalarValue) -> bool {
    if v.is_null() {
        return false;
    }
    // Integer division by -1 overflows on the smallest value, and a decimal
    // divided by a fraction can overflow its precision: either would fail
    // on one row. Divisors are whole-sized: at least 1 in size, and not -1.
    match v.cast_to(&DataType::Float64) {
        Ok(ScalarValue::Float64(Some(x))) => {
            let float = matches!(v, ScalarValue::Float32(_) | ScalarValue::Float64(_));
            x.is_finite()
                && (if float {
                    x != 0.0
                } else {
                    x.abs() >= 1.0 && x != -1.0
                })
        }
        _ => false,
    }
}

/// The role of `expr` over columns `cols` (of `schema`), or why it is not
/// allowed on person data.
///
/// # Errors
/// The refusal for the first operation that is not on the allowlist.
pub fn role_of(expr: &Expr, schema: &DFSchema, cols: &[Col]) -> Result<Col, Refusal> {
    let mut col = role_here(expr, schema, cols)?;
    if col.person && !matches!(expr, Expr::Column(_)) {
        col.def = Some(Arc::new(inline(expr, schema, cols)));
    }
    Ok(col)
}

fn role_here(expr: &Expr, schema: &DFSchema, cols: &[Col]) -> Result<Col, Refusal> {
    let person = |e: &Expr| -> Result<Col, Refusal> { role_of(e, schema, cols) };
    if folds_at_check(expr) {
        // An expression of constants alone is computed now: one that fails
        // would fail only where the rows around it reach it (a CASE branch,
        // the right side of an AND), and that would answer a question.
        return constant(expr);
    }
    let at_person_level = cols.iter().any(|c| c.person);
    match expr {
        Expr::Alias(a) => person(&a.expr),
        Expr::Column(c) => {
            let i = schema
                .index_of_column(c)
                .map_err(|_| Refusal::Unsupported(c.name.clone()))?;
            cols.get(i)
                .cloned()
                .ok_or_else(|| Refusal::Unsupported(c.name.clone()))
        }
        Expr::Literal(v, _) => Ok(Col::public(Role::Dim(Domain::Literals(vec![v.clone()])))),
        Expr::BinaryExpr(b) => {
            let l = person(&b.left)?;
            let r = person(&b.right)?;
            let role = match b.op {
                Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
                | Operator::IsDistinctFrom
                | Operator::IsNotDistinctFrom
                | Operator::And
                | Operator::Or
                | Operator::LikeMatch
                | Operator::ILikeMatch
                | Operator::NotLikeMatch
                | Operator::NotILikeMatch => Role::Dim(Domain::Bool),
                Operator::Plus | Operator::Minus | Operator::Multiply => {
                    let (ld, rd) = (l.role == Role::Date, r.role == Role::Date);
                    if ld && rd && b.op == Operator::Minus {
                        // Days between two dates: total.
                        Role::Value
                    } else if ld || rd {
                        // A date moved by a literal interval of at most 100
                        // years stays a date; moved by anything else it
                        // could overflow on one row and fail.
                        let by = if ld { &b.right } else { &b.left };
                        if b.op == Operator::Multiply || !literal(by).is_some_and(small_interval) {
                            return Err(Refusal::MayFail {
                                what: "date arithmetic with an interval from the data or over 100 years".into(),
                            });
                        }
                        Role::Date
                    } else {
                        Role::Value
                    }
                }
                Operator::Divide | Operator::Modulo | Operator::IntegerDivide => {
                    // Division by a value from the data can fail (by zero):
                    // the failure itself would answer a question.
                    if r.person && !literal(&b.right).is_some_and(nonzero_number) {
                        return Err(Refusal::MayFail {
                            what: "division by a value from the data".into(),
                        });
                    }
                    // Rows of persons can reach a division by a public value
                    // conditionally (in a CASE branch): the same failure.
                    let nonzero = literal(&b.right).is_some_and(nonzero_number);
                    if r.person || ((l.person || at_person_level) && !nonzero) {
                        return Err(Refusal::MayFail {
                            what: "division by zero".into(),
                        });
                    }
                    Role::Value
                }
                Operator::StringConcat => Role::Value,
                other => {
                    return Err(Refusal::NotAllowed {
                        what: other.to_string(),
                    });
                }
            };
            let col = derived(&[l.clone(), r.clone()], role)?;
            if !matches!(
                b.op,
                Operator::And
                    | Operator::Or
                    | Operator::Plus
                    | Operator::Minus
                    | Operator::Multiply
                    | Operator::Divide
                    | Operator::Modulo
                    | Operator::IntegerDivide
                    | Operator::StringConcat
            ) {
                check_comparison(b.op, &b.left, &b.right, &l, &r)?;
            }
            Ok(col)
        }
        Expr::Like(l) | Expr::SimilarTo(l) => {
            let a = person(&l.expr)?;
            let p = person(&l.pattern)?;
            let col = derived(&[a.clone(), p.clone()], Role::Dim(Domain::Bool))?;
            check_comparison(Operator::LikeMatch, &l.expr, &l.pattern, &a, &p)?;
            Ok(col)
        }
        Expr::IsNull(e) | Expr::IsNotNull(e) => {
            // Whether a key is set is harmless; it is still no expression of it.
            let c = person(e)?;
            Ok(Col {
                role: Role::Dim(Domain::Bool),
                ..c
            })
        }
        Expr::Not(e)
        | Expr::IsTrue(e)
        | Expr::IsFalse(e)
        | Expr::IsUnknown(e)
        | Expr::IsNotTrue(e)
        | Expr::IsNotFalse(e)
        | Expr::IsNotUnknown(e) => {
            let c = person(e)?;
            derived(&[c], Role::Dim(Domain::Bool))
        }
        Expr::Negative(e) => {
            let c = person(e)?;
            derived(&[c], Role::Value)
        }
        Expr::Between(b) => {
            let parts = [person(&b.expr)?, person(&b.low)?, person(&b.high)?];
            let col = derived(&parts, Role::Dim(Domain::Bool))?;
            check_comparison(Operator::GtEq, &b.expr, &b.low, &parts[0], &parts[1])?;
            check_comparison(Operator::LtEq, &b.expr, &b.high, &parts[0], &parts[2])?;
            Ok(col)
        }
        Expr::InList(l) => {
            let mut parts = vec![person(&l.expr)?];
            for item in &l.list {
                parts.push(person(item)?);
            }
            let col = derived(&parts, Role::Dim(Domain::Bool))?;
            for (item, c) in l.list.iter().zip(&parts[1..]) {
                check_comparison(Operator::Eq, &l.expr, item, &parts[0], c)?;
            }
            Ok(col)
        }
        Expr::Case(c) => calls::case(c, schema, cols),
        Expr::Cast(c) => calls::cast(&c.expr, c.field.data_type(), false, schema, cols),
        Expr::TryCast(c) => calls::cast(&c.expr, c.field.data_type(), true, schema, cols),
        Expr::ScalarFunction(f) => {
            let args: Vec<Col> = f.args.iter().map(&person).collect::<Result<_, _>>()?;
            let name = f.func.name().to_ascii_lowercase();
            if !args.iter().any(|a| a.person) && !at_person_level {
                // Over released and public rows only: a failure tells
                // nothing about a person.
                return Ok(Col::public(Role::Value));
            }
            let role = calls::function_role(&name, &f.args, &args)?;
            derived(&args, role)
        }
        Expr::AggregateFunction(a) => Err(Refusal::PersonValueAggregate {
            function: a.func.name().to_owned(),
        }),
        Expr::WindowFunction(_) => Err(Refusal::Window),
        Expr::ScalarSubquery(_)
        | Expr::Exists(_)
        | Expr::InSubquery(_)
        | Expr::SetComparison(_) => Err(Refusal::Subquery),
        Expr::GroupingSet(_) => Err(Refusal::GroupingSets),
        Expr::Unnest(_) => Err(Refusal::TableFunction {
            name: "unnest".into(),
        }),
        // A parameter left in the plan was given no value.
        Expr::Placeholder(p) => Err(Refusal::MissingParameter {
            name: p.id.trim_start_matches('$').to_owned(),
        }),
        other => Err(Refusal::NotAllowed {
            what: other.variant_name().to_owned(),
        }),
    }
}

/// A value computed from `parts`: about a person if any part is, and never
/// from an identifier of a person's row.
fn derived(parts: &[Col], role: Role) -> Result<Col, Refusal> {
    let person = parts.iter().any(|c| c.person);
    if person && let Some(id) = parts.iter().find(|c| is_identifier(&c.role)) {
        return Err(Refusal::IdentifierExpression {
            column: id.from.clone(),
        });
    }
    Ok(Col {
        role,
        person,
        from: parts
            .iter()
            .find(|c| c.person)
            .map(|c| c.from.clone())
            .unwrap_or_default(),
        def: None,
    })
}

/// Whether a role is an identifier that no expression may be computed from.
pub fn is_identifier(role: &Role) -> bool {
    matches!(role, Role::Unit | Role::Key(_))
}

/// Whether a person's values in this role tell days or amounts apart: two
/// such values may be compared only by the rules for conditions, never
/// made equal by counting them distinct, grouping a person's rows by them,
/// or uniting them with values the query writes (an attacker counted a
/// person's distinct dates after a `UNION ALL` with a fixed day, and so
/// asked whether a date was that day, 2026-12-07).
pub fn tells_days_apart(role: &Role) -> bool {
    match role {
        Role::Date | Role::Value => true,
        Role::Measure(b) => b.grain != crate::query::conditions::Grain::Count,
        Role::Dim(d) => matches!(d, Domain::Days | Domain::Weeks | Domain::Weekdays { .. }),
        Role::Unit | Role::Key(_) => false,
    }
}

/// Whether `v` is an interval (or a count of days) of at most 100 years.
fn small_interval(v: &ScalarValue) -> bool {
    const DAYS: i64 = 36_600;
    match v {
        ScalarValue::IntervalYearMonth(Some(m)) => m.unsigned_abs() <= 1200,
        ScalarValue::IntervalDayTime(Some(x)) => {
            i64::from(x.days).abs() <= DAYS && i64::from(x.milliseconds).abs() <= 86_400_000
        }
        ScalarValue::IntervalMonthDayNano(Some(x)) => {
            x.months.unsigned_abs() <= 1200
                && i64::from(x.days).abs() <= DAYS
                && x.nanoseconds.unsigned_abs() <= 86_400_000_000_000
        }
        ScalarValue::Int8(Some(_)) | ScalarValue::Int16(Some(_)) => true,
        ScalarValue::Int32(Some(n)) => i64::from(*n).abs() <= DAYS,
        ScalarValue::Int64(Some(n)) => n.abs() <= DAYS,
        _ => false,
    }
}

/// Whether `expr` is computed from constants alone, and is of a kind that
/// could fail when run (functions, arithmetic, casts, CASE).
fn folds_at_check(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::ScalarFunction(_)
            | Expr::BinaryExpr(_)
            | Expr::Cast(_)
            | Expr::TryCast(_)
            | Expr::Case(_)
            | Expr::Negative(_)
            | Expr::Between(_)
            | Expr::InList(_)
            | Expr::Like(_)
            | Expr::SimilarTo(_)
            | Expr::Not(_)
    ) && expr.column_refs().is_empty()
        && !expr
            .exists(|e| {
                Ok(matches!(
                    e,
                    Expr::AggregateFunction(_)
                        | Expr::WindowFunction(_)
                        | Expr::ScalarSubquery(_)
                        | Expr::Exists(_)
                        | Expr::InSubquery(_)
                        | Expr::Placeholder(_)
                ))
            })
            .unwrap_or(true)
}

/// The value of an expression of constants, computed as DataFusion's
/// simplifier would; one it cannot compute (it fails, or it is volatile
/// such as `random()`) is refused.
fn constant(expr: &Expr) -> Result<Col, Refusal> {
    match folded(expr) {
        Some(v) => Ok(Col::public(Role::Dim(Domain::Literals(vec![v])))),
        // Only literals and parameter values are in it, the planner's own
        // text: shown as SQL so that a mistyped `--param` can be found.
        None => Err(Refusal::MayFail {
            what: datafusion::sql::unparser::expr_to_sql(expr)
                .map_or_else(|_| "?".to_owned(), |e| e.to_string()),
        }),
    }
}

/// The literal an expression of constants simplifies to, if it does.
pub(super) fn folded(expr: &Expr) -> Option<ScalarValue> {
    use datafusion::logical_expr::simplify::SimplifyContext;
    use datafusion::optimizer::simplify_expressions::ExprSimplifier;
    match ExprSimplifier::new(SimplifyContext::default()).simplify(expr.clone()) {
        Ok(Expr::Literal(v, _)) => Some(v),
        _ => None,
    }
}
