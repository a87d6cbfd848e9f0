//! `gpt-trader indicators`: compute indicators over a file and write them as CSV.

use crate::commands::data_args::DataArgs;
use anyhow::{Context, Result};
use clap::Args;
use gt_indicators::{IndicatorSpec, SPEC_USAGE, spec_usage};
use std::io::Write;
use std::path::PathBuf;

/// Options of `gpt-trader indicators`.
#[derive(Args, Debug)]
#[command(after_long_help = indicator_help())]
pub struct IndicatorsArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Indicator spec `name[:p1,p2,...]`; repeat for several (e.g. --ind sma:20 --ind bb:20,2).
    #[arg(long = "ind", value_name = "SPEC", required = true, value_parser = parse_spec)]
    specs: Vec<IndicatorSpec>,

    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// CSV (one row per bar, warm-up cells empty), or a JSON list of one object per bar
    /// {date, open, high, low, close, volume, <column>: value or null}.
    #[arg(long, value_enum, default_value_t = Layout::Csv)]
    format: Layout,
}

/// How `indicators` writes its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Layout {
    Csv,
    Json,
}

fn parse_spec(text: &str) -> Result<IndicatorSpec, String> {
    IndicatorSpec::parse(text).and_then(|spec| spec.build().map(|_| spec)).map_err(|e| e.to_string())
}

fn indicator_help() -> String {
    let specs: Vec<String> =
        SPEC_USAGE.iter().map(|(n, r, o)| format!("  {}", spec_usage(n, r, o))).collect();
    format!(
        "Indicators (TA-Lib's definitions and warm-up):\n{}\n\nColumns are named after the spec with its parameters as typed: sma:20 -> sma_20,\n\
         bb:30,2.5 -> bb_upper_30_2.5, bb_middle_30_2.5, bb_lower_30_2.5. Warm-up cells are empty.\n\n\
         Examples:\n  gpt-trader indicators --data prices.csv --ind sma:20 --ind rsi:14 \\\n      --ind macd:12,26,9 --out ind.csv\n  gpt-trader indicators --ind bb:20,2 --format json > bands.json",
        specs.join("\n")
    )
}

/// `gpt-trader indicators`.
pub fn run(args: &IndicatorsArgs) -> Result<()> {
    gt_indicators::distinct_columns(&args.specs)?;
    let bars = gt_runner::data::load_one(&args.data.spec())?;
    let mut indicators = args.specs.iter().map(IndicatorSpec::build).collect::<Result<Vec<_>, _>>()?;
    let columns: Vec<Vec<String>> = args.specs.iter().map(IndicatorSpec::columns).collect();
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut header =
        vec!["date".to_owned(), "open".into(), "high".into(), "low".into(), "close".into(), "volume".into()];
    header.extend(columns.iter().flatten().cloned());
    if args.format == Layout::Json {
        return write_json(std::io::BufWriter::new(sink), &bars, &mut indicators, &header, &columns);
    }
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    writer.write_record(&header)?;

    let format = bars.time_format();
    let mut outputs = vec![[f64::NAN; 3]; columns.len()];
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for index in 0..bars.len() {
        let bar = bars.bar(index);
        row.clear();
        row.push(bar.ts.display(format).to_string());
        row.extend([bar.open, bar.high, bar.low, bar.close, bar.volume].map(|v| v.to_string()));
        for ((indicator, out), names) in indicators.iter_mut().zip(&mut outputs).zip(&columns) {
            indicator.update(&bar, out);
            let values = &out[..names.len()];
            row.extend(values.iter().map(|v| if v.is_nan() { String::new() } else { v.to_string() }));
        }
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes the bars and their indicators as one JSON list, a row at a time
/// (the rows are never all in memory); undefined values are `null`.
fn write_json(
    mut out: impl Write,
    bars: &gt_model::BarSeries,
    indicators: &mut [gt_indicators::Computation],
    header: &[String],
    columns: &[Vec<String>],
) -> Result<()> {
    let format = bars.time_format();
    let mut outputs = vec![[f64::NAN; 3]; columns.len()];
    out.write_all(b"[")?;
    for index in 0..bars.len() {
        let bar = bars.bar(index);
        let mut row = serde_json::Map::with_capacity(header.len());
        row.insert(header[0].clone(), bar.ts.display(format).to_string().into());
        for (name, value) in header[1..6].iter().zip([bar.open, bar.high, bar.low, bar.close, bar.volume]) {
            row.insert(name.clone(), value.into());
        }
        let mut names = header[6..].iter();
        for ((indicator, values), own) in indicators.iter_mut().zip(&mut outputs).zip(columns) {
            indicator.update(&bar, values);
            // Values first: the names of the next indicator are not taken when these run out.
            for (value, name) in values[..own.len()].iter().zip(names.by_ref()) {
                row.insert(
                    name.clone(),
                    if value.is_nan() { serde_json::Value::Null } else { (*value).into() },
                );
            }
        }
        if index > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut out, &row)?;
    }
    out.write_all(b"]\n")?;
    out.flush()?;
    Ok(())
}
