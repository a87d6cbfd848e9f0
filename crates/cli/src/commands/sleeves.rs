//! Strategy sleeves from a run file's `[[strategies]]` and `[allocation]`.

use crate::run_config::{AllocationSection, StrategySection};
use anyhow::{Result, anyhow, bail};
use gt_engine::Sleeve;
use gt_model::{BarSeries, StrategyId};
use gt_risk::allocation;
use gt_strategy::registry;

/// Builds one sleeve per `[[strategies]]` entry, weighted by `[allocation]`.
pub fn from_run_file(
    sections: &[StrategySection],
    allocation: &AllocationSection,
    series: &[BarSeries],
) -> Result<Vec<Sleeve>> {
    let names: Vec<&str> = sections.iter().map(|s| s.name.as_deref().unwrap_or(&s.strategy)).collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            bail!("two [[strategies]] are named '{name}'; give each a distinct name");
        }
    }
    let weights = match allocation.method.as_deref().unwrap_or("equal") {
        "equal" => allocation::equal(names.len())?,
        "fixed" => {
            let unknown: Vec<&String> =
                allocation.weights.keys().filter(|k| !names.contains(&k.as_str())).collect();
            if !unknown.is_empty() {
                bail!(
                    "allocation.weights names {unknown:?}, which are not strategies of this run ({})",
                    names.join(", ")
                );
            }
            let weights: Vec<f64> = names
                .iter()
                .map(|name| {
                    allocation
                        .weights
                        .get(*name)
                        .copied()
                        .ok_or_else(|| anyhow!("allocation.weights has no weight for '{name}'"))
                })
                .collect::<Result<_>>()?;
            allocation::fixed(&weights)?
        }
        other => bail!(
            "allocation.method = {other:?}: use \"equal\" or \"fixed\" (inverse volatility, risk parity and \
             mean-variance weights exist in gt_risk::allocation but are not yet rebalanced during a run)"
        ),
    };
    let available: Vec<&str> = series.iter().map(|s| s.symbol().as_str()).collect();
    sections
        .iter()
        .zip(names.iter().zip(weights))
        .map(|(section, (name, weight))| {
            let spec = registry::find(&section.strategy)?;
            let params = spec.resolve(&section.params)?;
            let symbols: Vec<usize> = if section.symbols.is_empty() {
                (0..series.len()).collect()
            } else {
                section
                    .symbols
                    .iter()
                    .map(|wanted| {
                        available.iter().position(|s| s.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
                            anyhow!(
                                "strategy '{name}': symbol {wanted} is not in the data ({})",
                                available.join(", ")
                            )
                        })
                    })
                    .collect::<Result<_>>()?
            };
            let members =
                symbols.into_iter().map(|i| spec.build(&params).map(|s| (i, s))).collect::<Result<_, _>>()?;
            Ok(Sleeve { name: StrategyId::new(name), weight, members })
        })
        .collect()
}
