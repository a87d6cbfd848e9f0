//! `gpt-trader ml`: machine learning on bars (`ml train`: walk-forward
//! training with purged, embargoed folds, the model registered as a
//! candidate) and the model registry (`ml list/show/promote/retire/export`).

use crate::commands::data_args::DataArgs;
use crate::commands::{ml_compare, ml_registry, ml_select};
use crate::output::OutputFormat;
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_engine::Sleeve;
use gt_ml::metrics::Scores;
use gt_ml::{
    Dataset, FeatureSet, LabelSpec, MetaEvent, MetaFilter, ModelKind, ProbabilitySignal, SampleWeights,
    TrainConfig, TrainReport,
};
use gt_model::BarSeries;
use gt_model::StrategyId;
use gt_runner::paths::database_url;
use gt_runner::shadow_compare::ShadowOwner;
use gt_runner::store::open_with_runtime as open_store;
use gt_runner::strategy_source::StrategySource;
use gt_runner::{ExecutionSpec, RunSpec, StrategyEntry};
use gt_store::NewModel;
use serde_json::{Value, json};

/// Options of `gpt-trader ml`.
#[derive(Args, Debug)]
pub struct MlArgs {
    /// Run store URL, where the model registry lives [default: $GPT_TRADER_DB, else runs.db in the
    /// data folder].
    #[arg(long, value_name = "URL", global = true)]
    db: Option<String>,

    #[command(subcommand)]
    command: MlCommand,
}

#[derive(Subcommand, Debug)]
enum MlCommand {
    /// Train a model walk-forward: features at each bar from the bars up to it, labels from the
    /// bars after it; each fold tests on a block of bars after its training samples, whose labels
    /// end before the block (purged) and more than --embargo bars before it; scores per fold and
    /// pooled out of sample, against chance (AUC 0.5).
    #[command(after_long_help = "Examples:\n  gpt-trader ml train --label forward:5 --model gbm\n  \
                                 gpt-trader ml train --data SPY.csv --label triple:2,1,10 \\\n      \
                                 --model logistic --folds 8 --embargo 20 --format json")]
    Train(TrainArgs),
    /// The registered models: id, kind, status, features, label, out-of-sample AUC.
    #[command(after_long_help = "Examples:\n  gpt-trader ml list\n  gpt-trader ml list --format json")]
    List {
        /// A table, or a JSON list.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// One model: what it was trained on, its scores, and every change of its status.
    #[command(
        after_long_help = "Examples:\n  gpt-trader ml show 3f2a9c\n  gpt-trader ml show 3f2a9c --format json"
    )]
    Show {
        /// Its id, or a unique start of it.
        id: String,
        /// Readable lines, or one JSON object.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Move a model on: candidate to shadow, shadow to live. To live only through the promotion
    /// gate: its shadow record in a paper session must meet every rule of [ml.promotion]
    /// (--force skips the order and the gate, recorded as forced).
    #[command(after_long_help = "Examples:\n  gpt-trader ml promote 3f2a9c --to shadow\n  \
                                 gpt-trader ml promote 3f2a9c --to live --rules rules.toml --session spy\n\n\
The gate's rules, in a TOML file's [ml.promotion] table (a run file may hold it), with their defaults:\n  \
[ml.promotion]\n  \
min_shadow_days = 10     # days, on the bars' clock, the model followed the session\n  \
min_trades = 5           # trades its hypothetical book closed\n  \
min_sharpe_edge = 0.0    # its Sharpe minus the session's must be above this\n  \
max_p_value = 0.1        # the paired test (`ml compare`) must be below this\n  \
max_drawdown_pct = 25.0  # its deepest drawdown must be shallower than this\n\n\
A refusal names each failing rule with its numbers.")]
    Promote {
        /// Its id, or a unique start of it.
        id: String,
        /// shadow or live.
        #[arg(long, value_name = "STATUS", value_parser = ml_registry::parse_target)]
        to: String,
        /// The promotion gate's rules: a TOML file with an [ml.promotion] table [default: the
        /// defaults below].
        #[arg(long, value_name = "FILE.toml")]
        rules: Option<std::path::PathBuf>,
        /// The paper session whose shadow record the gate judges [default: the one the model
        /// followed for the most bars].
        #[arg(long, value_name = "NAME")]
        session: Option<String>,
        /// Move it whatever its status and the gate (not a retired one); recorded as `ml promote --force`.
        #[arg(long)]
        force: bool,
        /// Why, kept with the change.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Retire a model: it runs no more, and stays in the registry.
    #[command(after_long_help = "Examples:\n  gpt-trader ml retire 3f2a9c --reason 'drifted'")]
    Retire {
        /// Its id, or a unique start of it.
        id: String,
        /// Why, kept with the change.
        #[arg(long)]
        reason: Option<String>,
    },
    /// A run against the shadow models that followed it (`--shadow`): statistics side by side,
    /// hit rate, IC, calibration and prediction drift, and a paired test of the per-bar returns.
    #[command(after_long_help = "Examples:\n  gpt-trader ml compare --session spy\n  \
                                 gpt-trader ml compare --run 01a2... --format json\n\n\
The test is a stationary block bootstrap (Politis & Romano 1994) of the mean difference of per-bar\n\
returns (shadow minus run), mean block n^(1/3), 2000 seeded resamples, two-sided; it holds under\n\
autocorrelation. Below 30 paired returns it says: not enough data.")]
    Compare {
        /// The paper session the shadows followed.
        #[arg(long, value_name = "NAME", conflicts_with = "run", required_unless_present = "run")]
        session: Option<String>,
        /// The stored backtest the shadows followed (`backtest --shadow`).
        #[arg(long, value_name = "ID")]
        run: Option<String>,
        /// A table, or one JSON object.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// ML strategy selection, evaluated: a regime classifier (volatility, trend and correlation
    /// features) weights the five strategies each period, trained walk-forward with purged folds,
    /// against equal weight, inverse volatility and the best single strategy chosen in sample.
    #[command(after_long_help = "Examples:\n  gpt-trader ml select-eval --universe sample\n  \
                                 gpt-trader ml select-eval --symbols SPY,QQQ --period 20 --folds 6 --format json")]
    SelectEval(ml_select::SelectEvalArgs),
    /// Write a model (its record and its own JSON) to a file.
    #[command(after_long_help = "Examples:\n  gpt-trader ml export 3f2a9c model.json")]
    Export {
        /// Its id, or a unique start of it.
        id: String,
        /// Where to write it.
        file: std::path::PathBuf,
    },
}

/// Options of `ml train`.
#[derive(Args, Debug)]
struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Feature set (the built-in `default`: lagged returns, RSI, NATR, Bollinger %B and width,
    /// MACD histogram, ROC, volume z-score, volatility, day of week, minute of day).
    #[arg(long, value_name = "NAME", default_value = "default")]
    features: String,

    /// Label: forward:H[,COST] (1 when the return H bars ahead beats COST), triple:PT,SL,H (the
    /// first of a profit-take and a stop-loss barrier, in multiples of 20-bar volatility, within H
    /// bars), or meta:STRATEGY (meta-labeling: one sample per trade of that strategy with its
    /// default parameters, at the bar it decided on, 1 when the trade made money net of
    /// --commission; the model learns which of its trades to take).
    #[arg(long, value_name = "SPEC", default_value = "forward:5", value_parser = parse_label)]
    label: LabelChoice,

    /// Model: gbm (gradient-boosted trees, forust-ml) or logistic (L2 logistic regression).
    #[arg(long, value_enum, default_value_t = ModelChoice::Gbm)]
    model: ModelChoice,

    /// Test blocks; the bars are cut into FOLDS + 1 blocks, the first only trained on.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    folds: u16,

    /// Bars left between the end of a training sample's label and its test block.
    #[arg(long, value_name = "BARS", default_value_t = 10)]
    embargo: usize,

    /// Sample weights: equal, or by the uniqueness of each label among the overlapping ones (AFML
    /// ch. 4), so that bars many labels span do not count more.
    #[arg(long, value_enum, default_value_t = WeightsChoice::Equal)]
    weights: WeightsChoice,

    /// The model's seed: the same data, features, label and seed give the same model.
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,

    /// The signal's backtest: long when the out-of-sample probability is above this, out (or
    /// short with --allow-short) when below 1 - it.
    #[arg(long, value_name = "P", default_value_t = 0.55, value_parser = parse_threshold)]
    threshold: f64,

    /// The signal's backtest goes short when the probability is below 1 - threshold.
    #[arg(long)]
    allow_short: bool,

    /// Commission of the signal's backtest, a fraction of each trade's value.
    #[arg(long, value_name = "RATE", default_value_t = 0.001)]
    commission: f64,

    /// Do not register the trained model.
    #[arg(long)]
    no_save: bool,

    /// A readable table, or one JSON object.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `--weights`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum WeightsChoice {
    Equal,
    Uniqueness,
}

/// `--model`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModelChoice {
    Gbm,
    Logistic,
}

fn parse_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.5..1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a probability from 0.5 up to (not including) 1, got {text:?}")),
    }
}

/// `--label`: a label of the bars, or meta-labels of a primary strategy's trades.
#[derive(Clone, Debug)]
enum LabelChoice {
    Bars(LabelSpec),
    Meta(&'static str),
}

impl std::fmt::Display for LabelChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelChoice::Bars(spec) => write!(f, "{spec}"),
            LabelChoice::Meta(strategy) => write!(f, "meta:{strategy}"),
        }
    }
}

fn parse_label(text: &str) -> Result<LabelChoice, String> {
    if let Some(strategy) = text.strip_prefix("meta:") {
        let spec = gt_strategy::registry::find(strategy.trim()).map_err(|e| e.to_string())?;
        return Ok(LabelChoice::Meta(spec.name));
    }
    LabelSpec::parse(text).map(LabelChoice::Bars).map_err(|e| e.to_string())
}

/// The table to train on: the bars labelled (of one series, or of several
/// on their merged timeline), or the primary strategy's trades (run on the
/// same bars of one series, net of `commission`) meta-labelled.
fn dataset(
    many: &[BarSeries],
    features: &FeatureSet,
    label: &LabelChoice,
    commission: f64,
) -> Result<Dataset> {
    let strategy = match label {
        LabelChoice::Bars(spec) => return Ok(Dataset::build_many(many, features, spec)),
        LabelChoice::Meta(strategy) => strategy,
    };
    let [series] = many else {
        bail!("meta-labels read one series' trades: give one --data file or symbol");
    };
    let spec = RunSpec {
        execution: ExecutionSpec { commission: Some(commission), ..ExecutionSpec::default() },
        strategies: vec![StrategyEntry { strategy: (*strategy).to_owned(), ..StrategyEntry::default() }],
        ..RunSpec::default()
    };
    let mut primary = gt_runner::prepare(&spec, vec![series.clone()])?;
    let result = primary.run();
    let events: Vec<MetaEvent> = result
        .trades
        .iter()
        .filter(|trade| trade.entry_bar > 0)
        .map(|trade| MetaEvent {
            bar: trade.entry_bar - 1,
            end: trade.exit_bar,
            net_return: trade.return_fraction(),
        })
        .collect();
    Ok(Dataset::build_meta(series, features, &events))
}

/// `gpt-trader ml`.
pub fn run(args: &MlArgs) -> Result<()> {
    let url = database_url(args.db.as_deref())?;
    match &args.command {
        MlCommand::Train(train) => return run_train(train, &url),
        MlCommand::SelectEval(eval) => return ml_select::run(eval, &url),
        _ => {}
    }
    let (store, runtime) = open_store(&url)?;
    let done = match &args.command {
        MlCommand::Train(_) | MlCommand::SelectEval(_) => Ok(()),
        MlCommand::List { format } => ml_registry::list(&store, &runtime, *format),
        MlCommand::Show { id, format } => ml_registry::show(&store, &runtime, id, *format),
        MlCommand::Promote { id, to, rules, session, force, reason } => {
            let gate = ml_registry::Gate { rules: rules.as_deref(), session: session.as_deref() };
            ml_registry::promote(&store, &runtime, id, (to, *force, reason.as_deref()), gate)
        }
        MlCommand::Compare { session, run, format } => {
            let owner = match (session, run) {
                (Some(name), _) => ShadowOwner::Session(name.clone()),
                (None, Some(id)) => ShadowOwner::Run(id.clone()),
                (None, None) => bail!("name the run: --session NAME or --run ID"),
            };
            ml_compare::run(&store, &runtime, &owner, *format)
        }
        MlCommand::Retire { id, reason } => ml_registry::retire(&store, &runtime, id, reason.as_deref()),
        MlCommand::Export { id, file } => ml_registry::export(&store, &runtime, id, file),
    };
    runtime.block_on(store.close());
    done
}

/// `ml train`.
fn run_train(args: &TrainArgs, url: &str) -> Result<()> {
    // A bad store is found before the training, not after it.
    let store = if args.no_save { None } else { Some(open_store(url)?) };
    let features = FeatureSet::named(&args.features)?;
    let series = args.data.load()?;
    let data = dataset(&series, &features, &args.label, args.commission)?;
    let model = match args.model {
        ModelChoice::Gbm => ModelKind::Gbm,
        ModelChoice::Logistic => ModelKind::Logistic,
    };
    let weights = match args.weights {
        WeightsChoice::Equal => SampleWeights::Equal,
        WeightsChoice::Uniqueness => SampleWeights::Uniqueness,
    };
    let config = TrainConfig {
        model,
        folds: usize::from(args.folds),
        embargo: args.embargo,
        seed: args.seed,
        weights,
    };
    let (report, trained) = gt_ml::train(&data, &config)?;
    let bytes = trained.to_bytes()?;
    let mut summary = summary(&series, &data, &features, args, &report, bytes.len());
    summary["out_of_sample"]["backtest"] = match args.label {
        LabelChoice::Bars(_) => signal_backtest(&series, &data, &report, args)?,
        LabelChoice::Meta(strategy) => meta_backtest(&series, &data, &report, args, strategy)?,
    };
    if let Some((store, runtime)) = store {
        let model = new_model(&series, (&features, &data), args, &summary, bytes)?;
        let record = runtime.block_on(store.register_model(&model, "ml train"))?;
        runtime.block_on(store.close());
        summary["model_id"] = Value::String(record.model.id.clone());
        eprintln!("Registered model {} as {}.", record.model.id, record.status);
    }
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        OutputFormat::Table => print_table(&summary),
    }
    Ok(())
}

/// The training's JSON: features, label, model, per-fold and pooled scores.
fn summary(
    series: &[BarSeries],
    data: &Dataset,
    features: &FeatureSet,
    args: &TrainArgs,
    report: &TrainReport,
    bytes: usize,
) -> Value {
    let format = gt_runner::outcome::time_format_of(series);
    let time = |step: usize| data.timeline[step].display(format).to_string();
    let folds: Vec<Value> = report
        .folds
        .iter()
        .map(|fold| {
            let mut entry = json!({
                "train_start": time(fold.train.0),
                "train_end": time(fold.train.1),
                "test_start": time(fold.test.0),
                "test_end": time(fold.test.1),
                "train_samples": fold.train_samples,
            });
            merge(&mut entry, &scores(&fold.scores));
            entry
        })
        .collect();
    json!({
        "symbol": symbols(series),
        "features": {"name": features.name(), "hash": features.schema_hash(), "columns": features.column_names()},
        "label": args.label.to_string(),
        "model": {"kind": format!("{:?}", args.model).to_lowercase(), "seed": args.seed, "bytes": bytes},
        "embargo": args.embargo,
        "folds": folds,
        "out_of_sample": scores(&report.out_of_sample),
        "calibration": report.calibration,
    })
}

/// The symbols trained on, joined with commas.
fn symbols(series: &[BarSeries]) -> String {
    series.iter().map(|s| s.symbol().as_str()).collect::<Vec<_>>().join(",")
}

/// The out-of-sample predictions traded through the engine, every series
/// from the first test time to the end in one account (split evenly), net
/// of the commission: its statistics (buy & hold of the same bars among them).
fn signal_backtest(
    series: &[BarSeries],
    data: &Dataset,
    report: &TrainReport,
    args: &TrainArgs,
) -> Result<Value> {
    let Some(&(first, _)) = report.predictions.first() else { return Ok(Value::Null) };
    let from = data.timeline[data.starts[first]];
    let mut tested = Vec::new();
    let mut members: Vec<(usize, Box<dyn gt_strategy::Strategy>)> = Vec::new();
    for (index, one) in series.iter().enumerate() {
        let cut = one.timestamps().partition_point(|ts| *ts < from);
        let mut kept = one.clone();
        kept.keep(cut..one.len());
        let mut probabilities = vec![None; kept.len()];
        for &(sample, p) in report.predictions.iter().filter(|(sample, _)| data.series[*sample] == index) {
            probabilities[data.bars[sample] - cut] = Some(p);
        }
        members.push((
            tested.len(),
            Box::new(ProbabilitySignal::new(probabilities, args.threshold, args.allow_short)),
        ));
        tested.push(kept);
    }
    let stats = engine_stats(tested, members, args.commission)?;
    Ok(json!({"threshold": args.threshold, "allow_short": args.allow_short, "commission": args.commission,
              "stats": stats}))
}

/// The meta-label filter traded out of sample: the primary strategy from
/// its warm-up before the first test bar to the end, its entries taken only
/// where the model's probability is above the threshold, beside the
/// primary unfiltered on the same bars.
fn meta_backtest(
    series: &[BarSeries],
    data: &Dataset,
    report: &TrainReport,
    args: &TrainArgs,
    strategy: &str,
) -> Result<Value> {
    let ([one], Some(&(first, _))) = (series, report.predictions.first()) else { return Ok(Value::Null) };
    let primary = || StrategySource::resolve(strategy, &[])?.build();
    let cut = data.bars[first].saturating_sub(primary()?.warmup_bars() + 1);
    let mut kept = one.clone();
    kept.keep(cut..one.len());
    let mut probabilities = vec![None; kept.len()];
    for &(sample, p) in &report.predictions {
        probabilities[data.bars[sample] - cut] = Some(p);
    }
    let filter = MetaFilter::new(primary()?, probabilities, args.threshold);
    let filtered = engine_stats(vec![kept.clone()], vec![(0, Box::new(filter))], args.commission)?;
    let unfiltered = engine_stats(vec![kept], vec![(0, primary()?)], args.commission)?;
    Ok(json!({"threshold": args.threshold, "commission": args.commission, "primary": strategy,
              "stats": filtered, "primary_stats": unfiltered}))
}

/// Runs `members` (one sleeve) over `series` in one account, net of
/// `commission`; its statistics with the first and last bar's time.
fn engine_stats(
    series: Vec<BarSeries>,
    members: Vec<(usize, Box<dyn gt_strategy::Strategy>)>,
    commission: f64,
) -> Result<Value> {
    let spec = RunSpec {
        execution: ExecutionSpec { commission: Some(commission), ..ExecutionSpec::default() },
        ..RunSpec::default()
    };
    let mut prepared = gt_runner::prepare(&spec, series)?;
    prepared.sleeves = vec![Sleeve { name: StrategyId::new("ml_signal"), weight: 1.0, members }];
    let result = prepared.run();
    let stats = gt_runner::outcome::stats_of(&prepared.series, &result);
    let mut numbers: serde_json::Map<String, Value> =
        stats.numbers().into_iter().map(|(name, value)| (name.to_owned(), json!(value))).collect();
    numbers.insert("start".into(), stats.start.clone().into());
    numbers.insert("end".into(), stats.end.clone().into());
    Ok(Value::Object(numbers))
}

/// The registry's record of a trained model; its id is a hash of all of it.
fn new_model(
    series: &[BarSeries],
    (features, data): (&FeatureSet, &Dataset),
    args: &TrainArgs,
    summary: &Value,
    bytes: Vec<u8>,
) -> Result<NewModel> {
    let model = String::from_utf8(bytes)?;
    let definition = json!({
        "symbol": symbols(series),
        "columns": features.column_names(),
        "seed": args.seed,
        "weights": format!("{:?}", args.weights).to_lowercase(),
        "folds": args.folds,
        "embargo": args.embargo,
        "first_bar": summary["folds"][0]["train_start"],
        "last_sample": summary["folds"].as_array().and_then(|f| f.last()).map(|f| f["test_end"].clone()),
        "feature_profile": data.feature_profile(),
    });
    let mut record = NewModel {
        id: String::new(),
        kind: summary["model"]["kind"].as_str().unwrap_or("").to_owned(),
        feature_set: features.name().to_owned(),
        schema_hash: features.schema_hash(),
        label: args.label.to_string(),
        data_fingerprint: gt_runner::records::fingerprint(series),
        definition,
        metrics: json!({"folds": summary["folds"], "out_of_sample": summary["out_of_sample"]}),
        model,
    };
    record.id = gt_runner::records::model_id(&record);
    Ok(record)
}

/// Scores as JSON.
fn scores(scores: &Scores) -> Value {
    json!({
        "samples": scores.samples,
        "auc": scores.auc,
        "log_loss": scores.log_loss,
        "accuracy": scores.accuracy,
        "brier": scores.brier,
        "ic": scores.ic,
    })
}

/// Copies the fields of `extra` into `into`.
fn merge(into: &mut Value, extra: &Value) {
    if let (Some(into), Some(extra)) = (into.as_object_mut(), extra.as_object()) {
        into.extend(extra.clone());
    }
}

/// The training as a table: a row per fold, then the pooled scores.
fn print_table(summary: &Value) {
    let number = |v: &Value| v.as_f64().map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"));
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "test block",
        "train samples",
        "test samples",
        "AUC",
        "log loss",
        "accuracy",
        "Brier",
        "IC",
    ]);
    let row = |name: String, train: String, s: &Value| {
        vec![
            name,
            train,
            s["samples"].to_string(),
            number(&s["auc"]),
            number(&s["log_loss"]),
            number(&s["accuracy"]),
            number(&s["brier"]),
            number(&s["ic"]),
        ]
    };
    for fold in summary["folds"].as_array().into_iter().flatten() {
        let name = format!(
            "{} – {}",
            fold["test_start"].as_str().unwrap_or(""),
            fold["test_end"].as_str().unwrap_or("")
        );
        table.add_row(row(name, fold["train_samples"].to_string(), fold));
    }
    table.add_row(row("out of sample".to_owned(), String::new(), &summary["out_of_sample"]));
    if let Some(id) = summary["model_id"].as_str() {
        println!("model {id} (candidate)");
    }
    println!(
        "{} on {}: features {} ({}), label {}",
        summary["model"]["kind"].as_str().unwrap_or(""),
        summary["symbol"].as_str().unwrap_or(""),
        summary["features"]["name"].as_str().unwrap_or(""),
        summary["features"]["hash"].as_str().unwrap_or(""),
        summary["label"].as_str().unwrap_or(""),
    );
    println!("{table}");
    println!("AUC 0.5 is chance; IC is the rank correlation of the probability with the label's return.");
}
