//! Run files (TOML): `gpt-trader backtest --config run.toml`.
//!
//! Every command-line option has a key here, in the section of its kind. The
//! file is read into a [`RunSpec`] with every problem collected — unknown keys,
//! wrong types, then values out of range — and reported together, each with
//! its key path (`risk.max_drawdown_pct`), not one at a time.

use crate::RunError;
use crate::spec::{
    AllocationSpec, DataSpec, ExecutionSpec, NotifySpec, OutputSpec, RISK_NUMBERS, RiskSpec, RunSpec,
    StrategyEntry,
};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// Collects problems while reading, each with its key path.
struct Reader {
    problems: Vec<String>,
}

impl Reader {
    fn problem(&mut self, path: &str, message: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {message}"));
    }

    /// The sub-table `key` of `table` (empty if absent), flagging keys not in `known`.
    fn section(&mut self, table: &Table, key: &str, known: &[&str]) -> Table {
        match table.get(key) {
            None => Table::new(),
            Some(Value::Table(section)) => {
                self.unknown(section, key, known);
                section.clone()
            }
            Some(_) => {
                self.problem(key, "expected a table");
                Table::new()
            }
        }
    }

    fn unknown(&mut self, table: &Table, path: &str, known: &[&str]) {
        for key in table.keys().filter(|k| !known.contains(&k.as_str())) {
            self.problem(&format!("{path}.{key}"), format!("unknown key; known keys: {}", known.join(", ")));
        }
    }

    fn number(&mut self, table: &Table, path: &str, key: &str) -> Option<f64> {
        match table.get(key)? {
            Value::Float(x) => Some(*x),
            Value::Integer(i) => Some(*i as f64),
            _ => {
                self.problem(&format!("{path}.{key}"), "expected a number");
                None
            }
        }
    }

    fn flag(&mut self, table: &Table, path: &str, key: &str) -> Option<bool> {
        match table.get(key)? {
            Value::Boolean(b) => Some(*b),
            _ => {
                self.problem(&format!("{path}.{key}"), "expected true or false");
                None
            }
        }
    }

    fn text(&mut self, table: &Table, path: &str, key: &str) -> Option<String> {
        match table.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.problem(&format!("{path}.{key}"), "expected a string");
                None
            }
        }
    }

    fn texts(&mut self, table: &Table, path: &str, key: &str) -> Vec<String> {
        match table.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_str) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            Some(_) => {
                self.problem(&format!("{path}.{key}"), "expected a list of strings");
                Vec::new()
            }
        }
    }
}

/// Reads and checks the run file at `path` (its keys and types, then its
/// values); every problem is reported in one error. Its data files are made
/// relative to the file's folder.
pub fn load(path: &Path) -> Result<RunSpec, RunError> {
    let fail = |problems: Vec<String>| RunError::RunFile { file: path.to_owned(), problems };
    let text = std::fs::read_to_string(path).map_err(|e| fail(vec![format!("cannot read: {e}")]))?;
    let mut spec = parse(&text).map_err(fail)?;
    let problems = crate::check::problems(&spec);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    spec.data.files = spec.data.files.iter().map(|f| base.join(f)).collect();
    Ok(spec)
}

/// Parses run-file text; `Err` lists every problem found.
pub fn parse(text: &str) -> Result<RunSpec, Vec<String>> {
    let root: Table = text.parse().map_err(|e: toml::de::Error| vec![e.to_string().replace('\n', " ")])?;
    let mut r = Reader { problems: Vec::new() };
    r.unknown(
        &root,
        "run file",
        &["data", "execution", "risk", "allocation", "strategies", "output", "notify", "shadow"],
    );
    let notify = notify_section(&mut r, &root);
    let shadows = shadow_tables(&mut r, &root);
    let out = r.section(&root, "output", &["format", "trades_out", "equity_out"]);
    let output = OutputSpec {
        format: r.text(&out, "output", "format"),
        trades_out: r.text(&out, "output", "trades_out").map(PathBuf::from),
        equity_out: r.text(&out, "output", "equity_out").map(PathBuf::from),
    };

    let data = r.section(&root, "data", &["files", "universe", "symbols", "start", "end", "adjust"]);
    let data = DataSpec {
        files: r.texts(&data, "data", "files").into_iter().map(PathBuf::from).collect(),
        symbol: None,
        universe: r.text(&data, "data", "universe"),
        symbols: r.texts(&data, "data", "symbols"),
        start: r.text(&data, "data", "start"),
        end: r.text(&data, "data", "end"),
        adjust: r.flag(&data, "data", "adjust").unwrap_or(false),
    };
    let exec_keys = [
        "cash",
        "commission",
        "commission_fixed",
        "slippage_bps",
        "trade_on_close",
        "finalize_trades",
        "fractional",
    ];
    let exec = r.section(&root, "execution", &exec_keys);
    let execution = ExecutionSpec {
        cash: r.number(&exec, "execution", "cash"),
        commission: r.number(&exec, "execution", "commission"),
        commission_fixed: r.number(&exec, "execution", "commission_fixed"),
        slippage_bps: r.number(&exec, "execution", "slippage_bps"),
        trade_on_close: r.flag(&exec, "execution", "trade_on_close"),
        finalize_trades: r.flag(&exec, "execution", "finalize_trades"),
        fractional: r.flag(&exec, "execution", "fractional"),
    };
    let risk_keys: Vec<&str> = RISK_NUMBERS.iter().copied().chain(["sizing", "flatten_on_halt"]).collect();
    let risk_table = r.section(&root, "risk", &risk_keys);
    let mut risk = RiskSpec {
        sizing: r.text(&risk_table, "risk", "sizing"),
        flatten_on_halt: r.flag(&risk_table, "risk", "flatten_on_halt"),
        ..RiskSpec::default()
    };
    for key in RISK_NUMBERS {
        if let Some(value) = r.number(&risk_table, "risk", key) {
            risk.numbers.insert(key.to_owned(), value);
        }
    }
    let alloc_keys = ["method", "model", "weights", "rebalance", "lookback", "risk_aversion", "max_weight"];
    let alloc = r.section(&root, "allocation", &alloc_keys);
    let mut allocation = AllocationSpec {
        method: r.text(&alloc, "allocation", "method"),
        model: r.text(&alloc, "allocation", "model"),
        rebalance: r.text(&alloc, "allocation", "rebalance"),
        lookback: r.number(&alloc, "allocation", "lookback"),
        risk_aversion: r.number(&alloc, "allocation", "risk_aversion"),
        max_weight: r.number(&alloc, "allocation", "max_weight"),
        ..Default::default()
    };
    if let Some(weights) = alloc.get("weights") {
        match weights.as_table() {
            Some(table) => {
                for key in table.keys() {
                    if let Some(w) = r.number(table, "allocation.weights", key) {
                        allocation.weights.insert(key.clone(), w);
                    }
                }
            }
            None => r.problem("allocation.weights", "expected a table of sleeve = weight"),
        }
    }
    let mut strategies = Vec::new();
    match root.get("strategies") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("strategies[{i}]");
                let Some(table) = item.as_table() else {
                    r.problem(&path, "expected a table");
                    continue;
                };
                r.unknown(table, &path, &["strategy", "name", "symbols", "params"]);
                let Some(strategy) = r.text(table, &path, "strategy") else {
                    if !table.contains_key("strategy") {
                        r.problem(&path, "missing key 'strategy'");
                    }
                    continue;
                };
                let params = match table.get("params") {
                    None => Vec::new(),
                    Some(Value::Table(params)) => params
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                        .collect(),
                    Some(_) => {
                        r.problem(&format!("{path}.params"), "expected a table of name = value");
                        Vec::new()
                    }
                };
                strategies.push(StrategyEntry {
                    strategy,
                    name: r.text(table, &path, "name"),
                    symbols: r.texts(table, &path, "symbols"),
                    params,
                });
            }
        }
        Some(_) => r.problem("strategies", "expected [[strategies]] tables"),
    }
    if r.problems.is_empty() {
        Ok(RunSpec { output, data, execution, risk, allocation, strategies, notify, shadows })
    } else {
        Err(r.problems)
    }
}

/// `[[shadow]]`: each a `model` and `ml_signal`'s parameters for its
/// hypothetical book, as a `--shadow` text, its form checked.
fn shadow_tables(r: &mut Reader, root: &Table) -> Vec<String> {
    let items = match root.get("shadow") {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            r.problem("shadow", "expected [[shadow]] tables");
            return Vec::new();
        }
    };
    let mut shadows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("shadow[{i}]");
        let Some(table) = item.as_table() else {
            r.problem(&path, "expected a table");
            continue;
        };
        let Some(model) = r.text(table, &path, "model") else {
            if !table.contains_key("model") {
                r.problem(&path, "missing key 'model' (a model id of `gpt-trader ml list`)");
            }
            continue;
        };
        let params: Vec<String> = table
            .iter()
            .filter(|(key, _)| key.as_str() != "model")
            .map(|(key, value)| {
                format!("{key}={}", value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            })
            .collect();
        let text = if params.is_empty() { model } else { format!("{model}:{}", params.join(",")) };
        match crate::shadow::parse_shadow(&text) {
            Ok(_) => shadows.push(text),
            Err(problem) => r.problem(&path, problem),
        }
    }
    shadows
}

/// `[notify]`: webhooks (checked without ever quoting them), format, events
/// and the disconnection delay.
fn notify_section(r: &mut Reader, root: &Table) -> NotifySpec {
    let table = r.section(root, "notify", &["webhooks", "format", "events", "disconnect_secs"]);
    let webhooks = r.texts(&table, "notify", "webhooks");
    for (i, url) in webhooks.iter().enumerate() {
        if let Err(problem) = gt_live::notify::Webhook::parse(url) {
            r.problem(&format!("notify.webhooks[{i}]"), problem);
        }
    }
    let format = r.text(&table, "notify", "format");
    if let Some(format) = format.as_deref().filter(|f| !["slack", "discord", "json"].contains(f)) {
        r.problem("notify.format", format!("expected slack, discord or json, got {format:?}"));
    }
    let events = r.texts(&table, "notify", "events");
    for (i, event) in events.iter().enumerate() {
        if let Err(problem) = gt_live::notify::NoticeKind::parse(event) {
            r.problem(&format!("notify.events[{i}]"), problem);
        }
    }
    let disconnect_secs = match table.get("disconnect_secs") {
        None => None,
        Some(Value::Integer(secs)) if *secs >= 0 => Some(*secs as u64),
        Some(_) => {
            r.problem("notify.disconnect_secs", "expected a whole number of seconds, 0 or more");
            None
        }
    };
    NotifySpec { webhooks, format, events, disconnect_secs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_tables_become_shadow_texts_and_their_problems_are_named() {
        let spec =
            parse("[[shadow]]\nmodel = \"ab12\"\n\n[[shadow]]\nmodel = \"cd34\"\nthreshold = 0.6\n").unwrap();
        assert_eq!(spec.shadows, ["ab12", "cd34:threshold=0.6"]);
        let problems =
            parse("[[shadow]]\nthreshold = 0.6\n\n[[shadow]]\nmodel = \"x\"\nfast = 3\n").unwrap_err();
        assert!(problems[0].starts_with("shadow[0]: missing key 'model'"), "{problems:?}");
        assert!(problems[1].starts_with("shadow[1]") && problems[1].contains("fast"), "{problems:?}");
    }

    #[test]
    fn notify_is_read_with_its_problems_and_never_quotes_a_url() {
        let spec = parse(
            r#"
            [notify]
            webhooks = ["https://hooks.example.com/T0/secret"]
            format = "discord"
            events = ["fill", "halt"]
            disconnect_secs = 30
            "#,
        )
        .unwrap();
        assert_eq!(spec.notify.webhooks, ["https://hooks.example.com/T0/secret"]);
        assert_eq!(spec.notify.format.as_deref(), Some("discord"));
        assert_eq!(spec.notify.events, ["fill", "halt"]);
        assert_eq!(spec.notify.disconnect_secs, Some(30));
        assert!(!format!("{spec:?}").contains("secret"), "Debug hides the URLs");
        assert!(!serde_json::to_string(&spec).unwrap().contains("secret"), "never serialized");

        let problems = parse(
            r#"
            [notify]
            webhooks = ["ftp://secret.example.com/x"]
            format = "teams"
            events = ["fills"]
            disconnect_secs = -1
            retries = 3
            "#,
        )
        .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "notify.retries",
                "notify.webhooks[0]",
                "notify.format",
                "notify.events[0]",
                "notify.disconnect_secs"
            ],
            "{problems:?}"
        );
        assert!(problems.iter().all(|p| !p.contains("secret")), "{problems:?}");
    }

    #[test]
    fn a_full_run_file_reads_into_its_sections() {
        let config = parse(
            r#"
            [data]
            universe = "sample"
            symbols = ["AAPL", "MSFT"]
            [execution]
            cash = 100000
            commission = 0.001
            finalize_trades = true
            [risk]
            max_drawdown_pct = 25
            sizing = "fraction:0.1"
            [allocation]
            method = "fixed"
            weights = { trend = 0.6, revert = 0.4 }
            [[strategies]]
            name = "trend"
            strategy = "trend_breakout"
            params = { lookback = 55, allow_short = true }
            [[strategies]]
            name = "revert"
            strategy = "mean_reversion"
            symbols = ["AAPL"]
            "#,
        )
        .unwrap();
        assert_eq!(config.data.symbols, ["AAPL", "MSFT"]);
        assert_eq!(config.execution.cash, Some(100_000.0));
        assert_eq!(config.execution.finalize_trades, Some(true));
        assert_eq!(config.risk.numbers["max_drawdown_pct"], 25.0);
        assert_eq!(config.allocation.weights["trend"], 0.6);
        assert_eq!(config.strategies.len(), 2);
        assert_eq!(
            config.strategies[0].params,
            [("allow_short".to_owned(), "true".to_owned()), ("lookback".to_owned(), "55".to_owned())]
        );
        assert_eq!(config.strategies[1].symbols, ["AAPL"]);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let problems = parse(
            r#"
            [execution]
            cash = "lots"
            [risk]
            max_drawdwn_pct = 20
            [[strategies]]
            params = { fast = 5 }
            "#,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("execution.cash: expected a number"));
        assert!(problems[1].starts_with("risk.max_drawdwn_pct: unknown key; known keys: max_position_pct"));
        assert_eq!(problems[2], "strategies[0]: missing key 'strategy'");
    }
}
