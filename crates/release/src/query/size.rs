//! How large a planner's SQL may be, counted on its tokens before anything
//! parses or plans it. A chain of 5 000 `AND`s or unions, or brackets
//! nested deeper than the parser allows, overflowed the stack of the
//! planner's recursive walks and killed the process (an attacker's
//! finding); counting tokens is a loop, so no text can do that here.

use crate::Refusal;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// The most operators (comparisons, arithmetic, `AND`, `OR`, `NOT`,
/// `WHEN`, set operations, joins, `SELECT`s) a query may hold. A planner's
/// question has tens; a list of values is one `IN (…)`, however long.
pub const MAX_OPERATORS: usize = 400;

/// The deepest brackets may nest.
pub const MAX_DEPTH: usize = 32;

/// Refuses SQL too long or too deeply nested to check safely. Text the
/// tokenizer cannot read passes: the parser then says where it fails.
///
/// # Errors
/// [`Refusal::TooLong`] with what was over its limit.
pub fn check(sql: &str) -> Result<(), Refusal> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(());
    };
    let (mut operators, mut depth, mut deepest) = (0usize, 0usize, 0usize);
    for token in &tokens {
        match token {
            Token::LParen | Token::LBracket => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Word(w) => {
                if matches!(
                    w.keyword,
                    Keyword::AND
                        | Keyword::OR
                        | Keyword::NOT
                        | Keyword::WHEN
                        | Keyword::UNION
                        | Keyword::INTERSECT
                        | Keyword::EXCEPT
                        | Keyword::JOIN
                        | Keyword::SELECT
                ) {
                    operators += 1;
                }
            }
            Token::Whitespace(_)
            | Token::Comma
            | Token::Period
            | Token::SemiColon
            | Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::Placeholder(_)
            | Token::EOF => {}
            _ => operators += 1,
        }
    }
    if operators > MAX_OPERATORS {
        return Err(Refusal::TooLong {
            what: format!("{operators} > {MAX_OPERATORS}"),
        });
    }
    if deepest > MAX_DEPTH {
        return Err(Refusal::TooLong {
            what: format!("{deepest} > {MAX_DEPTH}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chains_and_deep_brackets_are_refused_before_planning() {
        let chain = |n: usize, op: &str| {
            let terms = vec!["sex = '1'"; n].join(op);
            format!("SELECT COUNT(*) AS n FROM person WHERE {terms}")
        };
        assert!(check(&chain(100, " AND ")).is_ok());
        for op in [" AND ", " OR "] {
            assert!(matches!(
                check(&chain(5_000, op)),
                Err(Refusal::TooLong { .. })
            ));
        }
        let unions = vec!["SELECT person_key FROM person"; 3_000].join(" UNION ALL ");
        assert!(check(&format!("SELECT COUNT(*) FROM ({unions}) t")).is_err());
        let nested = format!("SELECT {}1{} AS n", "(".repeat(60), ")".repeat(60));
        assert!(check(&nested).is_err());
        // A long list of values is one condition.
        let list: Vec<String> = (0..12_000).map(|i| format!("'{i}'")).collect();
        let listed = format!(
            "SELECT COUNT(*) AS n FROM person WHERE municipality_code IN ({})",
            list.join(", ")
        );
        assert!(check(&listed).is_ok());
    }
}
