//! The strategies a run can name: gt-strategy's built-ins, and `ml_signal`,
//! the signal of a model from the registry in the run store.

use crate::{RunError, paths, store};
use gt_ml::ab::Distribution;
use gt_ml::{
    Demotion, DemotionTap, FeatureSet, GuardLimits, Guarded, Model, ModelGuard, ModelKind, ModelSignal,
    SchemaBound,
};
use gt_strategy::{ParamKind, ParamSpec, Params, Strategy, StrategySpec, registry};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The name of the model-signal strategy.
pub const ML_SIGNAL: &str = "ml_signal";

/// `ml_signal`'s numeric parameters as a schema, for what reads schemas
/// (the optimizer's search space). Its model is text, given apart
/// (`--param model=ID`, passed to every trial as it is).
pub static ML_SIGNAL_SPEC: StrategySpec = StrategySpec::new(
    ML_SIGNAL,
    "a registered model's probabilities: long above a threshold (`gpt-trader ml`)",
    "Pushes each bar into the model's feature stream; long when its probability is above threshold, \
     out (or short with allow_short) below 1 - threshold; each entry of size of the equity.",
    &ML_SIGNAL_PARAMS,
    schema_only,
);

const ML_SIGNAL_PARAMS: [ParamSpec; 8] = [
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Float { default: 0.55, min: 0.5, max: 0.99 },
        help: "long above this probability; out (or short) below 1 - it",
    },
    ParamSpec {
        name: "allow_short",
        kind: ParamKind::Bool { default: false },
        help: "short below 1 - threshold",
    },
    ParamSpec {
        name: "size",
        kind: ParamKind::Float { default: 1.0, min: 0.01, max: 1.0 },
        help: "each entry's share of the equity available",
    },
    ParamSpec {
        name: "max_drawdown_pct",
        kind: ParamKind::Float { default: 0.0, min: 0.0, max: 100.0 },
        help: "kill switch: stop (a live model is demoted to shadow) when the model's own drawdown passes this many percent of its first equity; 0 is off",
    },
    ParamSpec {
        name: "max_feature_psi",
        kind: ParamKind::Float { default: 0.0, min: 0.0, max: 10.0 },
        help: "kill switch: stop when a feature's population stability index over drift_window bars against its training distribution passes this (0.1 moderate, 0.25 significant); 0 is off",
    },
    ParamSpec {
        name: "drift_window",
        kind: ParamKind::Int { default: 100, min: 10, max: 100_000 },
        help: "bars of features max_feature_psi is measured over",
    },
    ParamSpec {
        name: "stale_bars",
        kind: ParamKind::Int { default: 0, min: 0, max: 100_000 },
        help: "kill switch: stop after this many bars in a row without a prediction (a feature missing); 0 is off",
    },
    ParamSpec {
        name: "close_on_stop",
        kind: ParamKind::Bool { default: true },
        help: "close the model's position on the bar the kill switch stops it (else leave it)",
    },
];

/// What [`ML_SIGNAL_SPEC`] builds from its schema alone, without a model (the
/// optimizer's check that a trial's parameters go together): a strategy that
/// never trades. Runs build `ml_signal` through [`StrategySource`], with its model.
fn schema_only(_: &Params) -> Result<Box<dyn Strategy>, gt_strategy::StrategyError> {
    Ok(Box::new(WithoutModel))
}

/// `ml_signal` without its model: never trades (see [`schema_only`]).
struct WithoutModel;

impl Strategy for WithoutModel {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, _: &mut gt_strategy::StrategyContext<'_>) {}
}

/// The schema of the strategy `name` as a sweep reads it: a built-in's, or
/// [`ML_SIGNAL_SPEC`].
pub fn sweepable(name: &str) -> Result<&'static StrategySpec, RunError> {
    if name == ML_SIGNAL { Ok(&ML_SIGNAL_SPEC) } else { Ok(registry::find(name)?) }
}

/// A strategy entry resolved: what to build, its parameters checked.
pub enum StrategySource {
    /// A built-in strategy with its parameters.
    Builtin(&'static StrategySpec, Params),
    /// A registered model's signal.
    MlSignal(MlSignalParams),
}

impl StrategySource {
    /// The strategy `name` with `given` (name, text) parameters, checked.
    pub fn resolve(name: &str, given: &[(String, String)]) -> Result<Self, RunError> {
        if name == ML_SIGNAL {
            return Ok(Self::MlSignal(MlSignalParams::parse(given)?));
        }
        let spec = registry::find(name)?;
        Ok(Self::Builtin(spec, spec.resolve(given)?))
    }

    /// A new instance (for `ml_signal`, over the model read from the store once per process).
    pub fn build(&self) -> Result<Box<dyn Strategy>, RunError> {
        match self {
            Self::Builtin(spec, params) => Ok(spec.build(params)?),
            Self::MlSignal(params) => params.build(),
        }
    }
}

/// `ml_signal`'s parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct MlSignalParams {
    /// The model's id in the registry, or a unique start of it.
    pub model: String,
    /// Long above this probability; out (or short) below 1 minus it.
    pub threshold: f64,
    /// Go short below 1 minus the threshold.
    pub allow_short: bool,
    /// Each entry's share of the equity available, in (0, 1].
    pub size: f64,
    /// The kill switch's limits (all off by default).
    pub guard: GuardLimits,
    /// Close the model's position when the kill switch stops it.
    pub close_on_stop: bool,
}

impl MlSignalParams {
    /// Checks `given` (name, text) pairs against [`ML_SIGNAL_SPEC`]'s schema; `model` is required.
    pub fn parse(given: &[(String, String)]) -> Result<Self, RunError> {
        let (models, rest): (Vec<_>, Vec<_>) =
            given.iter().cloned().partition(|(name, _)| name.trim() == "model");
        let model = models.last().map(|(_, id)| id.trim().to_owned()).unwrap_or_default();
        if model.is_empty() {
            return Err(RunError::invalid(
                "ml_signal needs --param model=ID, a model of `gpt-trader ml list`".to_owned(),
            ));
        }
        let params = ML_SIGNAL_SPEC.resolve(&rest)?;
        let off_at_zero = |value: f64| (value > 0.0).then_some(value);
        let stale_bars = params.int("stale_bars");
        Ok(Self {
            model,
            threshold: params.float("threshold"),
            allow_short: params.flag("allow_short"),
            size: params.float("size"),
            guard: GuardLimits {
                max_drawdown_pct: off_at_zero(params.float("max_drawdown_pct")),
                max_feature_psi: off_at_zero(params.float("max_feature_psi")),
                drift_window: params.int("drift_window") as usize,
                stale_bars: (stale_bars > 0).then_some(stale_bars as usize),
            },
            close_on_stop: params.flag("close_on_stop"),
        })
    }

    fn build(&self) -> Result<Box<dyn Strategy>, RunError> {
        Ok(Box::new(self.signal(&load_model(&self.model)?)?))
    }

    /// Whether any kill-switch limit is set.
    fn guarded(&self) -> bool {
        let GuardLimits { max_drawdown_pct, max_feature_psi, stale_bars, .. } = &self.guard;
        max_drawdown_pct.is_some() || max_feature_psi.is_some() || stale_bars.is_some()
    }

    /// The signal of `loaded` (the model these parameters name) with these
    /// parameters; with a kill-switch limit set, its demotion is told to
    /// [`take_demotions`].
    pub fn signal(&self, loaded: &LoadedModel) -> Result<ModelSignal, RunError> {
        let (model, features) = (Arc::clone(&loaded.bound), loaded.features.clone());
        let signal = ModelSignal::new(model, features, self.threshold, self.allow_short, self.size)
            .map_err(|e| RunError::invalid(format!("ml_signal: {e}")))?;
        if !self.guarded() {
            return Ok(signal);
        }
        if self.guard.max_feature_psi.is_some() && loaded.profile.iter().all(Option::is_none) {
            return Err(RunError::invalid(format!(
                "ml_signal: model {} keeps no feature distributions (it was trained before they were kept): \
                 retrain it, or leave max_feature_psi at 0",
                loaded.id
            )));
        }
        let tap = DemotionTap::default();
        demotion_taps().lock().unwrap_or_else(|e| e.into_inner()).push((loaded.id.clone(), tap.clone()));
        let names = loaded.features.column_names().iter().map(|n| n.to_string()).collect();
        let guard = ModelGuard::new(self.guard.clone(), names, loaded.profile.clone());
        Ok(signal.with_guard(Guarded { guard, tap, close_position: self.close_on_stop }))
    }
}

/// The kill switches of the `ml_signal`s built in this process, by model id.
fn demotion_taps() -> &'static Mutex<Vec<(String, DemotionTap)>> {
    static TAPS: OnceLock<Mutex<Vec<(String, DemotionTap)>>> = OnceLock::new();
    TAPS.get_or_init(Default::default)
}

/// Whether an `ml_signal` with a kill switch was built in this process.
pub fn any_kill_switch() -> bool {
    !demotion_taps().lock().unwrap_or_else(|e| e.into_inner()).is_empty()
}

/// The models whose kill switch stopped them since the last call, with the
/// demotion: the bar, its time and why.
pub fn take_demotions() -> Vec<(String, Demotion)> {
    let taps = demotion_taps().lock().unwrap_or_else(|e| e.into_inner());
    taps.iter().filter_map(|(id, tap)| tap.take().map(|d| (id.clone(), d))).collect()
}

/// A model read from the registry, with the feature set it runs on.
#[derive(Clone)]
pub struct LoadedModel {
    /// Its full id.
    pub id: String,
    /// Its status when it was read (`candidate`, `shadow`, `live`).
    pub status: String,
    /// The model, bound to its feature schema.
    pub bound: Arc<SchemaBound>,
    /// The feature set it was trained on.
    pub features: FeatureSet,
    /// Each feature's distribution at training (none kept by models trained before they were).
    pub profile: Vec<Option<Distribution>>,
}

/// The run store a command named with `--db`, where `ml_signal` reads its
/// models; without one, `GPT_TRADER_DB` or the data folder's.
static MODEL_STORE: OnceLock<String> = OnceLock::new();

/// Reads `ml_signal`'s models from the store at `url` (a command's `--db`),
/// for the rest of the process.
pub fn read_models_from(url: &str) {
    let _ = MODEL_STORE.set(url.to_owned());
}

/// Models already read in this process, by the id they were asked by.
fn loaded() -> &'static Mutex<HashMap<String, LoadedModel>> {
    static LOADED: OnceLock<Mutex<HashMap<String, LoadedModel>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

/// The registry's record of model `id` (or of the one model whose id starts
/// with it) in the run store `ml_signal` reads; refused when there is none
/// or it is retired. `user` starts the error messages.
pub(crate) fn find_model(id: &str, user: &str) -> Result<gt_store::ModelRecord, RunError> {
    let url = match MODEL_STORE.get() {
        Some(url) => url.clone(),
        None => paths::database_url(None)?,
    };
    let (store, runtime) = store::open_with_runtime(&url)?;
    let found = runtime.block_on(async {
        let exact = store.model(id).await?;
        let record = match exact {
            Some(record) => Some(record),
            None => {
                let mut matching: Vec<_> =
                    store.models().await?.into_iter().filter(|m| m.model.id.starts_with(id)).collect();
                (matching.len() == 1).then(|| matching.remove(0))
            }
        };
        store.close().await;
        Ok::<_, RunError>(record)
    })?;
    let record = found.ok_or_else(|| {
        RunError::invalid(format!(
            "{user}: no model {id:?} in the registry (`gpt-trader ml list` shows them)"
        ))
    })?;
    if record.status == "retired" {
        return Err(RunError::invalid(format!("{user}: model {} is retired", record.model.id)));
    }
    Ok(record)
}

/// The model `id` (or the one whose id starts with it) from the run store
/// (read once per process): refused when retired, or when its feature set
/// is no longer the schema it was trained on.
pub fn load_model(id: &str) -> Result<LoadedModel, RunError> {
    if let Some(found) = loaded().lock().unwrap_or_else(|e| e.into_inner()).get(id) {
        return Ok(found.clone());
    }
    let record = find_model(id, "ml_signal")?;
    let kind = match record.model.kind.as_str() {
        "gbm" => ModelKind::Gbm,
        "logistic" => ModelKind::Logistic,
        other => return Err(RunError::invalid(format!("ml_signal: unknown model kind {other:?}"))),
    };
    let invalid = |e: gt_ml::MlError| RunError::invalid(format!("ml_signal: model {}: {e}", record.model.id));
    let features = FeatureSet::named(&record.model.feature_set).map_err(invalid)?;
    let width = features.column_names().len();
    let model = Model::from_bytes(kind, record.model.model.as_bytes(), width).map_err(invalid)?;
    let bound = SchemaBound::new(&record.model.schema_hash, model);
    bound.check(&features).map_err(invalid)?;
    let profile =
        serde_json::from_value(record.model.definition["feature_profile"].clone()).unwrap_or_default();
    let entry = LoadedModel {
        id: record.model.id.clone(),
        status: record.status.clone(),
        bound: Arc::new(bound),
        features,
        profile,
    };
    loaded().lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_owned(), entry.clone());
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(given: &[(&str, &str)]) -> Vec<(String, String)> {
        given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn ml_signal_parameters_are_checked_with_what_is_wrong() {
        let params =
            MlSignalParams::parse(&pairs(&[("model", "1c52"), ("threshold", "0.6"), ("allow_short", "yes")]))
                .unwrap();
        let read = (params.model.as_str(), params.threshold, params.allow_short, params.size);
        assert_eq!(read, ("1c52", 0.6, true, 1.0));
        assert!(!params.guarded(), "the kill switch is off by default");
        let given = pairs(&[("model", "x"), ("max_drawdown_pct", "5"), ("stale_bars", "3")]);
        let guard = MlSignalParams::parse(&given).unwrap().guard;
        let expected = GuardLimits {
            max_drawdown_pct: Some(5.0),
            max_feature_psi: None,
            drift_window: 100,
            stale_bars: Some(3),
        };
        assert_eq!(guard, expected);
        let error = |given: &[(&str, &str)]| MlSignalParams::parse(&pairs(given)).unwrap_err().to_string();
        assert!(error(&[]).contains("needs --param model=ID"));
        assert!(error(&[("model", "x"), ("threshold", "0.4")]).contains("threshold"));
        assert!(error(&[("model", "x"), ("fast", "3")]).contains("fast"));
        assert!(error(&[("model", "x"), ("size", "1.5")]).contains("size"));
        assert!(matches!(StrategySource::resolve("demo_ma", &[]), Ok(StrategySource::Builtin(..))));
    }
}
