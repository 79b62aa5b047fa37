//! Why a query is not released: one refusal per rule of the closed query
//! model and of the saved reports' analysis, each with a stable code whose
//! why and what-to-write-instead live in the fi/sv/en catalogues. A
//! refusal's detail names the query's own expressions, never stored values.

/// Why a query is not released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The result has a row per person or per record.
    #[error("the result is row-level data, not an aggregate over persons")]
    RowLevel,
    /// A result grouped by the pseudonym or something that stands in for it.
    #[error("the result is grouped by {column}, which identifies a person")]
    GroupsByIdentifier {
        /// The stored column.
        column: String,
    },
    /// An aggregate that returns one person's value.
    #[error("the aggregate {function} returns one person's value")]
    PersonValueAggregate {
        /// Function name.
        function: String,
    },
    /// `COUNT(DISTINCT x)` for something other than the privacy unit.
    #[error("COUNT(DISTINCT …) is only released for person_key")]
    DistinctOther,
    /// A join that would mix persons.
    #[error("a join does not keep the privacy unit")]
    JoinLosesUnit,
    /// The rows being aggregated no longer carry the privacy unit.
    #[error("the aggregated rows do not carry person_key")]
    NoPrivacyUnit,
    /// A window function across persons.
    #[error("a window function runs across persons")]
    Window,
    /// A subquery over person data used as a value or condition.
    #[error("a subquery over person data is used as a value or condition")]
    Subquery,
    /// LIMIT/OFFSET choosing persons by position.
    #[error("LIMIT or OFFSET picks persons by position")]
    Limit,
    /// Unprotected aggregates combined with person rows.
    #[error("aggregated values are combined with person-level rows")]
    MixesLevels,
    /// Grouping sets over person data: totals come from the release itself.
    #[error("GROUPING SETS, CUBE and ROLLUP are computed by the release")]
    GroupingSets,
    /// Anything else the release does not know to be safe.
    #[error("{0} is not supported in a released query")]
    Unsupported(String),
    /// A `$name` the query uses was given no value.
    #[error("the query uses ${name}, which was given no value")]
    MissingParameter {
        /// The parameter, without its `$`.
        name: String,
    },
    /// SQL too long or too deeply nested to check safely.
    #[error("the query is too long to check ({what})")]
    TooLong {
        /// Which count, against its limit.
        what: String,
    },
    /// An expression computed from a pseudonym or a record id.
    #[error("an expression of {column}, which identifies a person or record")]
    IdentifierExpression {
        /// The stored column.
        column: String,
    },
    /// An operation that could fail on a stored value (its failure would answer a question).
    #[error("{what} could fail on a stored value")]
    MayFail {
        /// The operation.
        what: String,
    },
    /// An operation outside the allowlist.
    #[error("{what} is not among the operations a query may use")]
    NotAllowed {
        /// The operation.
        what: String,
    },
    /// A grouping expression with no declared domain.
    #[error("{expr} has no declared domain to group by")]
    NoDomain {
        /// The expression.
        expr: String,
    },
    /// A measure that is not a declared one.
    #[error("{expr} is not a declared measure")]
    MeasureNotDeclared {
        /// The expression.
        expr: String,
    },
    /// An aggregate or window over released (protected) rows.
    #[error("an aggregate over released rows")]
    AggregateOverProtected,
    /// A table function or a table outside the model.
    #[error("{name} is not a register table")]
    TableFunction {
        /// Its name.
        name: String,
    },
    /// A join with reference data on an expression.
    #[error("a join on an expression")]
    JoinOnExpression,
    /// A join with reference data on a person's column that is not a
    /// dimension (a date, an amount, a per-person result): conditions on
    /// the reference column would compare the person's value finely.
    #[error("{column}: a join with reference data on something other than a dimension")]
    JoinNotOnDimension {
        /// The person's column.
        column: String,
    },
    /// Reference data joined so that one person row meets many of its rows
    /// (or joined as a join or aggregate of reference data).
    #[error("{table}: reference data joined so that one row meets many of its rows")]
    ReferenceFan {
        /// The reference table (empty: not one table as stored).
        table: String,
    },
    /// A second join of two inputs that each hold several rows per
    /// person: each person's rows would multiply with every join.
    #[error("joins that multiply each person's rows")]
    JoinFanOut,
    /// The table would have too many cells.
    #[error("the table would have {cells} cells, more than {max}")]
    GridTooLarge {
        /// Cells of the grid.
        cells: usize,
        /// The limit.
        max: usize,
    },
    /// A suppression policy asked for a planner's own query.
    #[error("own queries are released under cell-key policies only")]
    SuppressionPolicy,
    /// A person's dates, amounts or days of a month set against each other
    /// or against values the query writes, other than by a condition: a
    /// person's distinct dates counted, a person's rows grouped by a date,
    /// a `UNION` of a person's dates with fixed ones. Each is an equality
    /// of two days (or amounts) that the rules for conditions refuse.
    #[error("{what}: a person's dates or amounts set against each other")]
    PersonValuesCompared {
        /// The column.
        what: String,
    },
    /// A condition on person data finer than a declared classification.
    #[error("{what}: a condition on person data compares only declared classes")]
    FineCondition {
        /// What is compared.
        what: String,
    },
}

impl Refusal {
    /// Stable code: the catalogue key is `refusal.CODE` (why) and
    /// `refusal.CODE_hint` (what to write instead).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::RowLevel => "row_level",
            Refusal::GroupsByIdentifier { .. } => "groups_by_identifier",
            Refusal::PersonValueAggregate { .. } => "person_value_aggregate",
            Refusal::DistinctOther => "distinct_other",
            Refusal::JoinLosesUnit => "join_loses_unit",
            Refusal::NoPrivacyUnit => "no_privacy_unit",
            Refusal::Window => "window",
            Refusal::Subquery => "subquery",
            Refusal::Limit => "limit",
            Refusal::MixesLevels => "mixes_levels",
            Refusal::GroupingSets => "grouping_sets",
            Refusal::Unsupported(_) => "unsupported",
            Refusal::TooLong { .. } => "too_long",
            Refusal::MissingParameter { .. } => "missing_parameter",
            Refusal::IdentifierExpression { .. } => "identifier_expression",
            Refusal::MayFail { .. } => "may_fail",
            Refusal::NotAllowed { .. } => "not_allowed",
            Refusal::NoDomain { .. } => "no_domain",
            Refusal::MeasureNotDeclared { .. } => "measure_not_declared",
            Refusal::AggregateOverProtected => "aggregate_over_protected",
            Refusal::TableFunction { .. } => "table_function",
            Refusal::JoinOnExpression => "join_on_expression",
            Refusal::JoinNotOnDimension { .. } => "join_not_on_dimension",
            Refusal::JoinFanOut => "join_fan_out",
            Refusal::ReferenceFan { .. } => "reference_fan",
            Refusal::GridTooLarge { .. } => "grid_too_large",
            Refusal::SuppressionPolicy => "suppression_policy",
            Refusal::FineCondition { .. } => "fine_condition",
            Refusal::PersonValuesCompared { .. } => "person_values_compared",
        }
    }

    /// The detail the message names (a column, a function), if any.
    #[must_use]
    pub fn detail(&self) -> String {
        match self {
            Refusal::GroupsByIdentifier { column }
            | Refusal::IdentifierExpression { column }
            | Refusal::JoinNotOnDimension { column } => column.clone(),
            Refusal::PersonValueAggregate { function } => function.clone(),
            Refusal::Unsupported(what)
            | Refusal::MayFail { what }
            | Refusal::NotAllowed { what }
            | Refusal::FineCondition { what }
            | Refusal::PersonValuesCompared { what }
            | Refusal::TooLong { what } => what.clone(),
            Refusal::MissingParameter { name } => name.clone(),
            Refusal::NoDomain { expr } | Refusal::MeasureNotDeclared { expr } => expr.clone(),
            Refusal::TableFunction { name } | Refusal::ReferenceFan { table: name } => name.clone(),
            Refusal::GridTooLarge { cells, max } => format!("{cells} > {max}"),
            _ => String::new(),
        }
    }
}
