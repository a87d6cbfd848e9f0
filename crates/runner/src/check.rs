//! The values of a run file, checked all at once: after [`crate::spec_file`]
//! has read its keys and types, every value that the run would refuse
//! (negative cash, a commission out of range, an unknown strategy, a bad
//! parameter, a limit out of range, an unknown allocation method…) is listed
//! with its key path, so one run shows every mistake.

use crate::spec::{RISK_NUMBERS, RunSpec, StrategyEntry};
use crate::strategy_source::{ML_SIGNAL, MlSignalParams};
use gt_risk::{RiskConfig, Sizing};
use gt_strategy::registry;

/// Every problem of `config`'s values, each starting with its key path.
pub fn problems(config: &RunSpec) -> Vec<String> {
    let mut problems = Vec::new();
    execution(config, &mut problems);
    if let Some(format) = config.output.format.as_deref().filter(|f| !["table", "json"].contains(f)) {
        problems.push(format!("output.format = {format:?}: use table or json"));
    }
    if let Err(error) = crate::window::Window::of(&config.data) {
        problems.push(error.to_string());
    }
    risk(config, &mut problems);
    allocation(config, &mut problems);
    strategies(&config.strategies, &mut problems);
    problems
}

fn execution(config: &RunSpec, problems: &mut Vec<String>) {
    let e = &config.execution;
    let mut check = |key: &str, value: Option<f64>, ok: fn(f64) -> bool, rule: &str| {
        if let Some(v) = value.filter(|v| !ok(*v)) {
            problems.push(format!("execution.{key} = {v} {rule}"));
        }
    };
    check("cash", e.cash, |v| v.is_finite() && v > 0.0, "must be a positive amount");
    check(
        "commission",
        e.commission,
        |v| (0.0..0.1).contains(&v),
        "must be >= 0 and < 0.1 (a fraction of value)",
    );
    check("commission_fixed", e.commission_fixed, |v| v.is_finite() && v >= 0.0, "must be >= 0");
    check("slippage_bps", e.slippage_bps, |v| (0.0..=10_000.0).contains(&v), "must be between 0 and 10000");
}

fn risk(config: &RunSpec, problems: &mut Vec<String>) {
    let sizing = match config.risk.sizing.as_deref().map(parse_sizing) {
        None => Sizing::AsRequested,
        Some(Ok(sizing)) => sizing,
        Some(Err(message)) => {
            problems.push(format!("risk.sizing: {message}"));
            Sizing::AsRequested
        }
    };
    let max_positions = match config.risk.numbers.get("max_positions").copied() {
        Some(n) if n >= 1.0 && n.fract() == 0.0 => Some(n as usize),
        Some(n) => {
            problems.push(format!("risk.max_positions = {n} must be a whole number >= 1"));
            None
        }
        None => None,
    };
    let (limits, exits) = config.risk.limits_and_exits(max_positions);
    if let Err(error) = RiskConfig::new(limits, exits, sizing) {
        for problem in error.problems {
            // The risk engine names its fields; those of [risk] get their path.
            let named = RISK_NUMBERS.iter().any(|key| problem.starts_with(&format!("{key} ")));
            problems.push(if named { format!("risk.{problem}") } else { format!("risk.sizing: {problem}") });
        }
    }
}

/// Parses a sizing model: `as-requested`, `units:N`, `fraction:F`,
/// `vol-target:PCT` or `atr-risk:PCT,ATRS` (the `--sizing` option and
/// `[risk] sizing` alike).
pub fn parse_sizing(text: &str) -> Result<Sizing, String> {
    let number = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("{v:?} is not a number"));
    match text.split_once(':') {
        Some(("units", n)) => Ok(Sizing::FixedUnits(number(n)?)),
        Some(("fraction", f)) => Ok(Sizing::FixedFraction(number(f)?)),
        Some(("vol-target", pct)) => Ok(Sizing::VolatilityTarget { target_pct: number(pct)? }),
        Some(("atr-risk", spec)) => {
            let (risk, multiple) =
                spec.split_once(',').ok_or("atr-risk takes PCT,ATRS, e.g. atr-risk:1,2")?;
            Ok(Sizing::AtrRisk { risk_pct: number(risk)?, atr_multiple: number(multiple)? })
        }
        _ if text == "as-requested" => Ok(Sizing::AsRequested),
        _ => Err(format!(
            "expected as-requested, units:N, fraction:F, vol-target:PCT or atr-risk:PCT,ATRS, got {text:?}"
        )),
    }
}

fn allocation(config: &RunSpec, problems: &mut Vec<String>) {
    let a = &config.allocation;
    let methods = ["equal", "fixed", "inverse_vol", "risk_parity", "mean_variance", "ml"];
    if let Some(method) = a.method.as_deref().filter(|m| !methods.contains(m)) {
        problems.push(format!("allocation.method = {method:?}: use {}", methods.join(", ")));
    }
    match (a.method.as_deref() == Some("ml"), &a.model) {
        (true, None) => problems.push(
            "allocation.method = \"ml\" needs allocation.model, a strategy selector's id (`gpt-trader ml list`)"
                .to_owned(),
        ),
        (false, Some(model)) => problems
            .push(format!("allocation.model = {model:?} is read only by allocation.method = \"ml\"")),
        _ => {}
    }
    if a.method.as_deref() == Some("ml") && a.rebalance.as_deref().is_some_and(|r| r != "monthly") {
        problems.push("allocation.rebalance: the ml selector was fitted on months; use monthly".to_owned());
    }
    if let Some(rebalance) = a.rebalance.as_deref().filter(|r| !["monthly", "weekly"].contains(r)) {
        problems.push(format!("allocation.rebalance = {rebalance:?}: use monthly or weekly"));
    }
    if let Some(lookback) = a.lookback.filter(|l| !(*l >= 2.0 && l.fract() == 0.0)) {
        problems.push(format!("allocation.lookback = {lookback} must be a whole number of bars >= 2"));
    }
    if let Some(max) = a.max_weight.filter(|m| !(*m > 0.0 && *m <= 1.0)) {
        problems.push(format!("allocation.max_weight = {max} must be > 0 and <= 1"));
    }
    for (name, weight) in &a.weights {
        if !(weight.is_finite() && *weight >= 0.0) {
            problems.push(format!("allocation.weights.{name} = {weight} must be >= 0"));
        }
    }
}

fn strategies(sections: &[StrategyEntry], problems: &mut Vec<String>) {
    let mut names: Vec<&str> = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let path = format!("strategies[{i}]");
        let name = section.sleeve_name();
        if names.contains(&name) {
            problems.push(format!(
                "{path}.name: two [[strategies]] are named '{name}'; give each a distinct name"
            ));
        }
        names.push(name);
        if section.strategy == ML_SIGNAL {
            if let Err(error) = MlSignalParams::parse(&section.params) {
                problems.push(format!("{path}.params: {error}"));
            }
            continue;
        }
        let spec = match registry::find(&section.strategy) {
            Ok(spec) => spec,
            Err(error) => {
                problems.push(format!("{path}.strategy: {error}"));
                continue;
            }
        };
        // Each parameter alone, so that every bad one is named…
        let mut each_fine = true;
        for pair in &section.params {
            if let Err(error) = spec.resolve(std::slice::from_ref(pair)) {
                problems.push(format!("{path}.params.{}: {error}", pair.0));
                each_fine = false;
            }
        }
        // …then together, for the rules between them (fast < slow).
        if each_fine && let Err(error) = spec.resolve(&section.params).and_then(|params| spec.build(&params))
        {
            problems.push(format!("{path}.params: {error}"));
        }
    }
}
