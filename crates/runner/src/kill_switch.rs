//! What a model's kill switch did, recorded: a live model it stopped in a
//! paper session is demoted to shadow in the registry, with when and why;
//! a backtest says where it would have been.

use crate::RunError;
use crate::strategy_source::{any_kill_switch, take_demotions};
use gt_live::StepReport;
use gt_ml::Demotion;
use gt_model::TimeFormat;

/// Who a kill switch's demotion is recorded as.
pub const ORIGIN: &str = "kill switch";

/// The reason a demotion is recorded with.
fn reason(session: &str, demotion: &Demotion, format: TimeFormat) -> String {
    format!("session {session}, bar {}: {}", demotion.ts.display(format), demotion.reason)
}

/// When a model of the session has a kill switch: a feed (for
/// [`gt_live::SessionObserver::with_bar_feed`]) that, after each step,
/// demotes each model stopped on it from live to shadow in the store at
/// `store_url` and says so on stderr. A model that was not live keeps its
/// status (the note says so); the session's other strategies trade on.
pub fn demotion_recorder(
    store_url: &str,
    session: &str,
    format: TimeFormat,
) -> Result<Option<StepReport>, RunError> {
    if !any_kill_switch() {
        return Ok(None);
    }
    let (store, runtime) = crate::store::open_with_runtime(store_url)?;
    let session = session.to_owned();
    Ok(Some(Box::new(move |_| {
        for (model, demotion) in take_demotions() {
            let why = reason(&session, &demotion, format);
            let changed =
                runtime.block_on(store.change_model_status(&model, "live", "shadow", ORIGIN, Some(&why)));
            match changed {
                Ok(true) => eprintln!("Kill switch: model {model} stopped and demoted to shadow ({why})."),
                Ok(false) => {
                    eprintln!("Kill switch: model {model} stopped ({why}); it is not live, its status stays.")
                }
                Err(error) => {
                    eprintln!("Kill switch: model {model} stopped ({why}); demoting it failed: {error}")
                }
            }
        }
    })))
}

/// One note per model the kill switch stopped in a run that records nothing (a backtest).
pub fn demotion_notes(format: TimeFormat) -> Vec<String> {
    take_demotions()
        .into_iter()
        .map(|(model, d)| {
            format!("Note: the kill switch stopped model {model} at {}: {}.", d.ts.display(format), d.reason)
        })
        .collect()
}

/// One feed calling each of `feeds` in turn; `None` when there is none.
pub fn all_of(mut feeds: Vec<StepReport>) -> Option<StepReport> {
    match feeds.len() {
        0 => None,
        1 => feeds.pop(),
        _ => Some(Box::new(move |step| feeds.iter_mut().for_each(|feed| feed(step)))),
    }
}
