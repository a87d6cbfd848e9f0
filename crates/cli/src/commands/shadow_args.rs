//! `--shadow MODEL`: models in shadow status that follow a backtest or a
//! paper session beside its strategies, and what is printed of them after.

use anyhow::Result;
use clap::Args;
use gt_runner::PreparedRun;
use gt_runner::shadow::{Shadow, ShadowSummary, parse_shadow};

/// The shadow models a run is given.
#[derive(Args, Debug, Default)]
pub struct ShadowArgs {
    /// A model in shadow status (`ml promote ID --to shadow`) to follow the run beside its
    /// strategies, never trading: on every bar its prediction and the orders it would have sent
    /// (on a hypothetical book of its own, through the same sizing and risk checks) are
    /// journaled in the run store. MODEL or MODEL:threshold=0.6,allow_short=true,size=0.5.
    /// Repeatable; replaces a run file's [[shadow]] tables (model = "ID", threshold = 0.6, ...).
    /// `gpt-trader ml compare` sets them against the run.
    #[arg(long = "shadow", value_name = "MODEL[:PARAMS]", value_parser = check_shadow)]
    pub shadow: Vec<String>,
}

impl ShadowArgs {
    /// The shadows given on the command line, else the run file's `[[shadow]]`.
    pub fn or_file<'a>(&'a self, file: &'a [String]) -> &'a [String] {
        if self.shadow.is_empty() { file } else { &self.shadow }
    }
}

/// Checks a `--shadow` value's form (its model is looked up when the run starts).
fn check_shadow(text: &str) -> Result<String, String> {
    parse_shadow(text).map(|_| text.to_owned()).map_err(|e| e.to_string())
}

/// The shadows `texts` name, ready to follow `prepared`.
pub fn shadows(texts: &[String], prepared: &PreparedRun) -> Result<Vec<Shadow>> {
    let mut shadows = Vec::new();
    for text in texts {
        shadows.push(Shadow::new(&parse_shadow(text)?, prepared)?);
    }
    Ok(shadows)
}

/// One line per shadow on stderr: what it predicted and what its book made.
pub fn print_summaries(summaries: &[ShadowSummary], owner: Option<&str>) {
    for s in summaries {
        eprintln!(
            "Shadow {}: {} bars journaled, {} predictions; its hypothetical book {:+.2} % over {} trades (equity {:.2}).",
            s.model_id, s.bars, s.predictions, s.return_pct, s.trades, s.equity_final
        );
    }
    if let (Some(owner), false) = (owner, summaries.is_empty()) {
        eprintln!("Compare them with the run: gpt-trader ml compare {owner}");
    }
}
