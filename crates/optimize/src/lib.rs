//! Parameter sweeps: a strategy's parameters varied over a space (a grid or
//! seeded random draws, under constraints), every trial run on bars and
//! settings prepared once, in parallel, ranked by a statistic, and kept in
//! the run store as a study that can be resumed or split into shards.

pub mod bench;
mod constraint;
mod error;
mod objective;
mod sampler;
mod space;
mod study;
mod study_page;
mod study_view;
mod sweep;
mod tpe_search;
mod walkforward;

pub use constraint::Constraint;
pub use error::OptimizeError;
pub use objective::{Objective, TrialStats};
pub use sampler::{Admission, MAX_GRID, Method, Trial, Trials};
pub use space::{Axis, Domain, SCHEMA_RANGE_STEPS, SearchSpace};
pub use study::{Progress, Shard, StudyPlan, StudyReport};
pub use study_page::{heat_colour, render_study_page};
pub use study_view::{StoredTrial, StudyView};
pub use sweep::{INDICATOR_MEMORY, Leaderboard, Sweep, TrialOutcome};
pub use walkforward::{Fold, FoldOutcome, FoldStudies, Span, Stitched, WalkForward, folds, walk_forward};
