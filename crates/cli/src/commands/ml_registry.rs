//! `ml list/show/promote/retire/export`: the model registry in the run store.

use crate::commands::ml_compare;
use crate::output::OutputFormat;
use anyhow::{Context, Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_runner::promotion::{PromotionRules, judge};
use gt_store::{ModelRecord, Store};
use serde_json::{Value, json};
use std::path::Path;

/// The model whose id is `id` or starts with it (unique).
pub fn find(store: &Store, runtime: &tokio::runtime::Runtime, id: &str) -> Result<ModelRecord> {
    if let Some(record) = runtime.block_on(store.model(id))? {
        return Ok(record);
    }
    let mut matching: Vec<ModelRecord> =
        runtime.block_on(store.models())?.into_iter().filter(|m| m.model.id.starts_with(id)).collect();
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 => bail!("no model {id:?} in the registry: `gpt-trader ml list` shows them"),
        n => bail!("{n} models start with {id:?}: give more of the id"),
    }
}

/// A record as JSON (the model's bytes left out unless `with_model`).
pub fn record_json(record: &ModelRecord, with_model: bool) -> Value {
    let model = &record.model;
    let mut value = json!({
        "model_id": model.id,
        "kind": model.kind,
        "status": record.status,
        "features": {"name": model.feature_set, "hash": model.schema_hash},
        "label": model.label,
        "data_fingerprint": model.data_fingerprint,
        "definition": model.definition,
        "metrics": model.metrics,
        "created_at": gt_runner::records::created_at(record.created_at_ms),
        "updated_at": gt_runner::records::created_at(record.updated_at_ms),
    });
    if with_model {
        value["model"] = serde_json::from_str(&model.model).unwrap_or(Value::String(model.model.clone()));
    }
    value
}

/// `ml list`.
pub fn list(store: &Store, runtime: &tokio::runtime::Runtime, format: OutputFormat) -> Result<()> {
    let models = runtime.block_on(store.models())?;
    if format == OutputFormat::Json {
        let all: Vec<Value> = models.iter().map(|m| record_json(m, false)).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if models.is_empty() {
        println!("No model in the registry: `gpt-trader ml train` registers one.");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["id", "kind", "status", "features", "label", "symbol", "OOS AUC", "registered"]);
    for record in &models {
        let model = &record.model;
        let auc = model.metrics["out_of_sample"]["auc"]
            .as_f64()
            .map_or_else(|| "n/a".into(), |a| format!("{a:.4}"));
        table.add_row([
            model.id.clone(),
            model.kind.clone(),
            record.status.clone(),
            model.feature_set.clone(),
            model.label.clone(),
            model.definition["symbol"].as_str().unwrap_or("").to_owned(),
            auc,
            gt_runner::records::created_at(record.created_at_ms),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// `ml show ID`.
pub fn show(store: &Store, runtime: &tokio::runtime::Runtime, id: &str, format: OutputFormat) -> Result<()> {
    let record = find(store, runtime, id)?;
    let changes = runtime.block_on(store.model_changes(&record.model.id))?;
    let history: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({"at": gt_runner::records::created_at(c.at_ms), "from": c.from, "to": c.to,
                   "origin": c.origin, "reason": c.reason})
        })
        .collect();
    let mut shown = record_json(&record, false);
    shown["history"] = Value::Array(history);
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&shown)?),
        OutputFormat::Table => {
            let model = &record.model;
            println!("model {} ({}), {}", model.id, model.kind, record.status);
            println!("features {} ({}), label {}", model.feature_set, model.schema_hash, model.label);
            if model.kind == gt_runner::selector::SELECTOR_KIND {
                print_selector(model);
            } else {
                println!(
                    "trained on {} bars {}",
                    model.definition["symbol"].as_str().unwrap_or("?"),
                    model.data_fingerprint
                );
                let oos = &model.metrics["out_of_sample"];
                println!(
                    "out of sample: AUC {}, log loss {}, accuracy {}, IC {}",
                    oos["auc"], oos["log_loss"], oos["accuracy"], oos["ic"]
                );
            }
            for change in &changes {
                println!(
                    "  {}  {} -> {}  by {}{}",
                    gt_runner::records::created_at(change.at_ms),
                    change.from.as_deref().unwrap_or("(registered)"),
                    change.to,
                    change.origin,
                    change.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// A selector's strategies and its walk-forward scores against its baselines.
fn print_selector(model: &gt_store::NewModel) {
    let names: Vec<&str> = model.definition["strategies"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    println!("weighs {} monthly, fitted on bars {}", names.join(", "), model.data_fingerprint);
    for method in model.metrics["methods"].as_array().into_iter().flatten() {
        println!(
            "  walk-forward {:<15} return {:>8.2} %  Sharpe {:>6.3}",
            method["method"].as_str().unwrap_or("?"),
            method["return_pct"].as_f64().unwrap_or(f64::NAN),
            method["sharpe_ratio"].as_f64().unwrap_or(f64::NAN)
        );
    }
}

/// What `ml promote --to live` judges a shadow model's record by.
pub struct Gate<'a> {
    /// The file holding `[ml.promotion]` (the defaults without one).
    pub rules: Option<&'a Path>,
    /// The session whose record is judged (the model's longest without one).
    pub session: Option<&'a str>,
}

/// `ml promote ID --to shadow|live [--force]`: candidate to shadow, shadow
/// to live through the promotion `gate`; `--force` moves any model that is
/// not retired whatever the gate says, recorded as forced.
pub fn promote(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    id: &str,
    (to, force, reason): (&str, bool, Option<&str>),
    gate: Gate<'_>,
) -> Result<()> {
    let record = find(store, runtime, id)?;
    let from = record.status.as_str();
    let allowed = match (from, to) {
        ("candidate", "shadow") | ("shadow", "live") => true,
        (_, _) if from == to => bail!("model {} is {from} already", record.model.id),
        ("retired", _) => bail!("model {} is retired: train a new one", record.model.id),
        _ => force,
    };
    if !allowed {
        bail!(
            "model {} is {from}: it goes to {to} only from {} (or with --force, recorded as forced)",
            record.model.id,
            if to == "live" { "shadow" } else { "candidate" }
        );
    }
    let mut reason = reason.map(str::to_owned);
    if to == "live" && !force {
        let rules = match gate.rules {
            Some(path) => PromotionRules::read(path)?,
            None => PromotionRules::default(),
        };
        let outcome = runtime.block_on(judge(store, &record.model.id, gate.session, &rules))?;
        ml_compare::print_gate(&record.model.id, &outcome);
        if !outcome.passed() {
            bail!(
                "model {} does not pass the promotion gate on session {:?}: {} (--force promotes it anyway, \
                 recorded as forced)",
                record.model.id,
                outcome.session,
                outcome.failures()
            );
        }
        let passed = format!("gate passed on session {}", outcome.session);
        reason = Some(reason.map_or(passed.clone(), |r| format!("{r} ({passed})")));
    }
    let origin = if force { "ml promote --force" } else { "ml promote" };
    change(store, runtime, &record, to, origin, reason.as_deref())
}

/// `ml retire ID`.
pub fn retire(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    id: &str,
    reason: Option<&str>,
) -> Result<()> {
    let record = find(store, runtime, id)?;
    if record.status == "retired" {
        bail!("model {} is retired already", record.model.id);
    }
    change(store, runtime, &record, "retired", "ml retire", reason)
}

/// Moves `record` to `to` if its status has not changed meanwhile.
fn change(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    record: &ModelRecord,
    to: &str,
    origin: &str,
    reason: Option<&str>,
) -> Result<()> {
    let id = &record.model.id;
    if !runtime.block_on(store.change_model_status(id, &record.status, to, origin, reason))? {
        bail!("model {id} changed meanwhile: look again with `gpt-trader ml show {id}`");
    }
    eprintln!("Model {id}: {} -> {to}.", record.status);
    Ok(())
}

/// `ml export ID FILE`: the record with the model's own JSON, for another store or a notebook.
pub fn export(store: &Store, runtime: &tokio::runtime::Runtime, id: &str, file: &Path) -> Result<()> {
    let record = find(store, runtime, id)?;
    let text = serde_json::to_string_pretty(&record_json(&record, true))?;
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    eprintln!("Model {} written to {}.", record.model.id, file.display());
    Ok(())
}

/// The status named `text`, for `--to`.
pub fn parse_target(text: &str) -> Result<String, String> {
    match text {
        "shadow" | "live" => Ok(text.to_owned()),
        _ => Err(anyhow!("expected shadow or live (`ml retire` retires), got {text:?}").to_string()),
    }
}
