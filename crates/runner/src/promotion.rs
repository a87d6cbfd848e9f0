//! The promotion gate: a model in shadow goes live only when its shadow
//! record in a paper session meets the rules of `[ml.promotion]`.

use crate::RunError;
use crate::shadow_compare::{ShadowComparison, ShadowOwner, compare};
use gt_store::Store;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The rules a shadow model's record must meet to go live (`[ml.promotion]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromotionRules {
    /// Fewest days, on the bars' clock, the model has followed the session.
    pub min_shadow_days: f64,
    /// Fewest trades its hypothetical book has closed.
    pub min_trades: i64,
    /// Its Sharpe ratio minus the session's must be above this.
    pub min_sharpe_edge: f64,
    /// The paired test's p-value must be below this.
    pub max_p_value: f64,
    /// Its hypothetical book's deepest drawdown must be shallower than this many percent.
    pub max_drawdown_pct: f64,
}

impl Default for PromotionRules {
    fn default() -> Self {
        Self {
            min_shadow_days: 10.0,
            min_trades: 5,
            min_sharpe_edge: 0.0,
            max_p_value: 0.1,
            max_drawdown_pct: 25.0,
        }
    }
}

/// A file holding `[ml.promotion]` (a run file may: its other tables are left alone).
#[derive(Deserialize)]
struct RulesFile {
    #[serde(default)]
    ml: MlTable,
}

#[derive(Default, Deserialize)]
struct MlTable {
    #[serde(default)]
    promotion: PromotionRules,
}

impl PromotionRules {
    /// The rules in the `[ml.promotion]` table of the TOML file at `path`
    /// (the defaults for what it does not set).
    pub fn read(path: &Path) -> Result<Self, RunError> {
        let text = std::fs::read_to_string(path).map_err(|source| RunError::Io {
            what: "reading the promotion rules".to_owned(),
            path: path.to_owned(),
            source,
        })?;
        let file: RulesFile = toml::from_str(&text).map_err(|e| {
            RunError::invalid(format!("{}: [ml.promotion]: {}", path.display(), e.message().trim()))
        })?;
        Ok(file.ml.promotion)
    }
}

/// One rule checked against a record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleCheck {
    /// The rule's key in `[ml.promotion]`.
    pub rule: &'static str,
    /// The rule's bound, in words (`>= 10`).
    pub required: String,
    /// What the record has (`none` when it cannot be measured).
    pub actual: String,
    /// Whether it holds.
    pub passed: bool,
}

/// The gate's answer for one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateOutcome {
    /// The session whose record was judged.
    pub session: String,
    /// Each rule, in the order of [`PromotionRules`].
    pub checks: Vec<RuleCheck>,
}

impl GateOutcome {
    /// Whether every rule holds.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The failing rules with their numbers, in one line.
    pub fn failures(&self) -> String {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} (needs {}, has {})", c.rule, c.required, c.actual))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Judges model `model_id`'s shadow record in the paper session `session`
/// (by default the session it followed for the most bars) by `rules`.
pub async fn judge(
    store: &Store,
    model_id: &str,
    session: Option<&str>,
    rules: &PromotionRules,
) -> Result<GateOutcome, RunError> {
    let session = match session {
        Some(name) => name.to_owned(),
        None => store
            .shadow_owners(model_id)
            .await?
            .into_iter()
            .find_map(|(owner, _)| owner.strip_prefix("session:").map(str::to_owned))
            .ok_or_else(|| {
                RunError::invalid(format!(
                    "model {model_id} has followed no paper session in shadow: run one with \
                     `gpt-trader paper run --shadow {model_id}` (or promote with --force)"
                ))
            })?,
    };
    let comparison = compare(store, &ShadowOwner::Session(session.clone())).await?;
    Ok(GateOutcome { checks: check(rules, &comparison, model_id)?, session })
}

/// Each rule of `rules` against `model_id`'s part of `comparison`.
pub fn check(
    rules: &PromotionRules,
    comparison: &ShadowComparison,
    model_id: &str,
) -> Result<Vec<RuleCheck>, RunError> {
    let shadow =
        comparison.shadows.iter().find(|s| s.model_id == model_id).ok_or_else(|| {
            RunError::invalid(format!("model {model_id} did not follow {}", comparison.owner))
        })?;
    let number = |value: f64| if value.is_finite() { format!("{value:.4}") } else { "none".to_owned() };
    let p_value = shadow.difference.as_ref().map(|d| d.p_value);
    let drawdown = -shadow.stats.max_drawdown_pct;
    Ok(vec![
        RuleCheck {
            rule: "min_shadow_days",
            required: format!(">= {}", rules.min_shadow_days),
            actual: format!("{:.1}", comparison.days),
            passed: comparison.days >= rules.min_shadow_days,
        },
        RuleCheck {
            rule: "min_trades",
            required: format!(">= {}", rules.min_trades),
            actual: shadow.trades.to_string(),
            passed: shadow.trades >= rules.min_trades,
        },
        RuleCheck {
            rule: "min_sharpe_edge",
            required: format!("> {}", rules.min_sharpe_edge),
            actual: number(shadow.sharpe_difference),
            passed: shadow.sharpe_difference > rules.min_sharpe_edge,
        },
        RuleCheck {
            rule: "max_p_value",
            required: format!("< {}", rules.max_p_value),
            actual: p_value.map_or_else(|| shadow.verdict.clone(), number),
            passed: p_value.is_some_and(|p| p < rules.max_p_value),
        },
        RuleCheck {
            rule: "max_drawdown_pct",
            required: format!("< {}", rules.max_drawdown_pct),
            actual: number(drawdown),
            passed: drawdown < rules.max_drawdown_pct,
        },
    ])
}
