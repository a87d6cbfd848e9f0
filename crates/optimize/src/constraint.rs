//! `--constraint`: comparisons of parameters (and numbers) joined by `and`
//! and `or` (`and` binds tighter; parentheses group), such as
//! `fast < slow and slow <= 100` (no arithmetic).

use crate::OptimizeError;
use gt_strategy::{ParamValue, StrategySpec};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

/// A side of a comparison.
#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Parameter(&'static str),
    Number(f64),
}

/// A parsed constraint.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Compare(Operand, Comparison, Operand),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A condition every trial's parameters must meet.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    text: String,
    expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Op(Comparison),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '(' => (out.push(Token::Open), i += 1).1,
            ')' => (out.push(Token::Close), i += 1).1,
            '<' | '>' | '=' | '!' => {
                let (op, width) = match (c, next) {
                    ('<', Some('=')) => (Comparison::LessOrEqual, 2),
                    ('<', _) => (Comparison::Less, 1),
                    ('>', Some('=')) => (Comparison::GreaterOrEqual, 2),
                    ('>', _) => (Comparison::Greater, 1),
                    ('=', Some('=')) => (Comparison::Equal, 2),
                    ('=', _) => (Comparison::Equal, 1),
                    ('!', Some('=')) => (Comparison::NotEqual, 2),
                    _ => return Err("'!' must be followed by '='".to_owned()),
                };
                out.push(Token::Op(op));
                i += width;
            }
            '&' | '|' if next == Some(c) => {
                out.push(Token::Word(if c == '&' { "and" } else { "or" }.to_owned()));
                i += 2;
            }
            _ if c.is_ascii_digit() || c == '.' || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Number(text.parse().map_err(|_| format!("{text:?} is not a number"))?));
            }
            _ if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect::<String>().to_lowercase()));
            }
            _ => return Err(format!("unexpected {c:?}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    strategy: &'a StrategySpec,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.term()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, String> {
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.tokens.get(self.at) != Some(&Token::Close) {
                return Err("a '(' is not closed".to_owned());
            }
            self.at += 1;
            return Ok(inner);
        }
        let left = self.operand()?;
        let op = match self.tokens.get(self.at) {
            Some(Token::Op(op)) => *op,
            _ => return Err("expected a comparison (<, <=, >, >=, ==, !=) after an operand".to_owned()),
        };
        self.at += 1;
        let right = self.operand()?;
        Ok(Expr::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Number(value)) => Ok(Operand::Number(value)),
            Some(Token::Word(word)) if word == "true" => Ok(Operand::Number(1.0)),
            Some(Token::Word(word)) if word == "false" => Ok(Operand::Number(0.0)),
            Some(Token::Word(word)) => {
                let names: Vec<&str> = self.strategy.params.iter().map(|p| p.name).collect();
                self.strategy
                    .params
                    .iter()
                    .find(|p| p.name == word)
                    .map(|p| Operand::Parameter(p.name))
                    .ok_or_else(|| {
                        format!(
                            "{} has no parameter {word:?}; valid: {}",
                            self.strategy.name,
                            names.join(", ")
                        )
                    })
            }
            Some(other) => Err(format!("expected a parameter or a number, found {other:?}")),
            None => Err("it ends where a parameter or a number was expected".to_owned()),
        }
    }
}

fn number(value: ParamValue) -> f64 {
    match value {
        ParamValue::Int(v) => v as f64,
        ParamValue::Float(v) => v,
        ParamValue::Bool(v) => f64::from(u8::from(v)),
    }
}

impl Constraint {
    /// Parses `text` for `strategy`'s parameters.
    pub fn parse(strategy: &StrategySpec, text: &str) -> Result<Self, OptimizeError> {
        let fail = |message: String| OptimizeError::Constraint { text: text.to_owned(), message };
        let mut parser = Parser { tokens: tokens(text).map_err(fail)?, at: 0, strategy };
        let expr = parser.or().map_err(fail)?;
        if parser.at < parser.tokens.len() {
            return Err(fail("join comparisons with 'and' or 'or'".to_owned()));
        }
        Ok(Self { text: text.trim().to_owned(), expr })
    }

    /// The constraint as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether a trial whose parameter values `value_of` gives meets it.
    pub fn holds(&self, value_of: &dyn Fn(&str) -> ParamValue) -> bool {
        fn eval(expr: &Expr, value_of: &dyn Fn(&str) -> ParamValue) -> bool {
            let side = |operand: &Operand| match operand {
                Operand::Parameter(name) => number(value_of(name)),
                Operand::Number(value) => *value,
            };
            match expr {
                Expr::And(a, b) => eval(a, value_of) && eval(b, value_of),
                Expr::Or(a, b) => eval(a, value_of) || eval(b, value_of),
                Expr::Compare(left, op, right) => {
                    let (l, r) = (side(left), side(right));
                    match op {
                        Comparison::Less => l < r,
                        Comparison::LessOrEqual => l <= r,
                        Comparison::Greater => l > r,
                        Comparison::GreaterOrEqual => l >= r,
                        Comparison::Equal => l == r,
                        Comparison::NotEqual => l != r,
                    }
                }
            }
        }
        eval(&self.expr, value_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_strategy::registry;

    fn holds(text: &str, fast: i64, slow: i64, allow_short: bool) -> bool {
        let constraint = Constraint::parse(registry::find("demo_ma").unwrap(), text).unwrap();
        constraint.holds(&|name| match name {
            "fast" => ParamValue::Int(fast),
            "slow" => ParamValue::Int(slow),
            _ => ParamValue::Bool(allow_short),
        })
    }

    #[test]
    fn comparisons_join_with_and_before_or() {
        assert!(holds("fast < slow", 5, 10, true));
        assert!(!holds("fast < slow", 10, 10, true));
        assert!(holds("fast <= slow && slow != 20", 10, 10, true));
        // and binds tighter: (fast > 100 and slow > 100) or allow_short == true
        assert!(holds("fast > 100 and slow > 100 or allow_short == true", 5, 10, true));
        assert!(!holds("fast > 100 and (slow > 100 or allow_short == true)", 5, 10, true));
        assert!(holds("2.5 < fast or allow_short = false", 3, 10, true));
        assert!(holds("slow >= -1 and fast == 5", 5, 10, false));
    }

    #[test]
    fn mistakes_are_explained() {
        let message =
            |text| Constraint::parse(registry::find("demo_ma").unwrap(), text).unwrap_err().to_string();
        assert!(message("fast < slwo").contains("no parameter \"slwo\"; valid: fast, slow, allow_short"));
        assert!(message("fast slow").contains("expected a comparison"));
        assert!(message("fast < slow slow > 3").contains("join comparisons with 'and' or 'or'"));
        assert!(message("(fast < slow").contains("not closed"));
        assert!(message("fast <").contains("ends where"));
        assert!(message("fast ! slow").contains("'!' must be followed by '='"));
        assert!(message("fast < 1x").contains("\"1x\" is not a number"));
    }
}
