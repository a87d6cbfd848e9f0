//! The HTML page of a study (`optimize --report`): the objective over every
//! pair of swept parameters as heat maps (the other parameters at the best
//! trial's values), each parameter against the objective as a scatter plot,
//! the best trials, and the best trial's own report below. Drawn as SVG in
//! the page itself: no script, no network.

use crate::space::SearchSpace;
use crate::sweep::TrialOutcome;
use gt_strategy::ParamValue;
use std::fmt::Write as _;

/// Pairs of parameters drawn as heat maps at most.
const MAX_HEATMAPS: usize = 6;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn number(value: &ParamValue) -> f64 {
    match value {
        ParamValue::Int(v) => *v as f64,
        ParamValue::Float(v) => *v,
        ParamValue::Bool(v) => f64::from(u8::from(*v)),
    }
}

/// A colour from dark blue (0) through teal and green to yellow (1), like viridis.
pub fn heat_colour(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let at = t * (STOPS.len() - 1) as f64;
    let (i, f) = ((at.floor() as usize).min(STOPS.len() - 2), at - at.floor());
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f) as u8;
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The distinct values of parameter `axis` among `trials`, in order.
fn distinct(trials: &[TrialOutcome], axis: usize) -> Vec<ParamValue> {
    let mut values: Vec<ParamValue> = Vec::new();
    for trial in trials {
        let value = trial.trial.values[axis];
        if !values.contains(&value) {
            values.push(value);
        }
    }
    values.sort_by(|a, b| number(a).total_cmp(&number(b)));
    values
}

/// The objective over parameters `x` and `y`, the others at `best`'s values.
fn heatmap(
    out: &mut String,
    space: &SearchSpace,
    trials: &[TrialOutcome],
    best: &TrialOutcome,
    (x, y): (usize, usize),
) {
    let (xs, ys) = (distinct(trials, x), distinct(trials, y));
    let others_at_best = |t: &TrialOutcome| {
        t.trial.values.iter().enumerate().all(|(i, v)| i == x || i == y || *v == best.trial.values[i])
    };
    let cells: Vec<(usize, usize, f64)> = trials
        .iter()
        .filter(|t| others_at_best(t) && t.value.is_finite())
        .filter_map(|t| {
            let cx = xs.iter().position(|v| *v == t.trial.values[x])?;
            let cy = ys.iter().position(|v| *v == t.trial.values[y])?;
            Some((cx, cy, t.value))
        })
        .collect();
    let (low, high) =
        cells.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), c| (l.min(c.2), h.max(c.2)));
    let (cell_w, cell_h) =
        ((560.0 / xs.len() as f64).clamp(4.0, 48.0), (360.0 / ys.len() as f64).clamp(4.0, 32.0));
    let (left, top) = (60.0, 10.0);
    let (width, height) = (left + cell_w * xs.len() as f64 + 10.0, top + cell_h * ys.len() as f64 + 40.0);
    let (xn, yn) = (escape(space.axes[x].name), escape(space.axes[y].name));
    let _ = write!(
        out,
        "<figure><figcaption>{xn} × {yn}</figcaption><svg width=\"{width:.0}\" height=\"{height:.0}\">"
    );
    let _ = write!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ddd\"/>",
        cell_w * xs.len() as f64,
        cell_h * ys.len() as f64
    );
    for (cx, cy, value) in &cells {
        let t = if high > low { (value - low) / (high - low) } else { 0.5 };
        let (px, py) = (left + *cx as f64 * cell_w, top + (ys.len() - 1 - cy) as f64 * cell_h);
        let _ = write!(
            out,
            "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h:.1}\" fill=\"{}\"><title>{xn} {}, {yn} {}: {value:.4}</title></rect>",
            heat_colour(t),
            xs[*cx],
            ys[*cy]
        );
    }
    let every = |n: usize| n.div_ceil(12).max(1);
    for (i, v) in xs.iter().enumerate().step_by(every(xs.len())) {
        let px = left + (i as f64 + 0.5) * cell_w;
        let _ =
            write!(out, "<text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v}</text>", height - 24.0);
    }
    for (i, v) in ys.iter().enumerate().step_by(every(ys.len())) {
        let py = top + (ys.len() - 1 - i) as f64 * cell_h + cell_h / 2.0 + 4.0;
        let _ = write!(out, "<text x=\"{:.1}\" y=\"{py:.1}\" text-anchor=\"end\">{v}</text>", left - 4.0);
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{xn}</text>",
        width / 2.0,
        height - 6.0
    );
    let _ = write!(
        out,
        "</svg><p class=\"note\">from {low:.4} (dark) to {high:.4} (bright); grey: not run</p></figure>"
    );
}

/// Parameter `axis` against the objective, every trial.
fn scatter(out: &mut String, space: &SearchSpace, trials: &[TrialOutcome], axis: usize, objective: &str) {
    let points: Vec<(f64, f64)> = trials
        .iter()
        .filter(|t| t.value.is_finite())
        .map(|t| (number(&t.trial.values[axis]), t.value))
        .collect();
    let bounds = |f: fn(&(f64, f64)) -> f64| {
        points.iter().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)))
    };
    let ((x0, x1), (y0, y1)) = (bounds(|p| p.0), bounds(|p| p.1));
    let span = |a: f64, b: f64| if b > a { b - a } else { 1.0 };
    let (w, h, left, top) = (420.0, 240.0, 60.0, 10.0);
    let name = escape(space.axes[axis].name);
    let _ = write!(
        out,
        "<figure><figcaption>{name} against {}</figcaption><svg width=\"{:.0}\" height=\"{:.0}\">",
        escape(objective),
        w + left + 10.0,
        h + top + 40.0
    );
    let _ = write!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>"
    );
    for (x, y) in &points {
        let px = left + (x - x0) / span(x0, x1) * w;
        let py = top + h - (y - y0) / span(y0, y1) * h;
        let _ = write!(
            out,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"2.5\" fill=\"#3b528b\" fill-opacity=\"0.6\"/>"
        );
    }
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{:.1}\">{x0}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{x1}</text>",
        top + h + 16.0,
        left + w,
        top + h + 16.0
    );
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{y1:.3}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{y0:.3}</text>",
        left - 4.0,
        top + 10.0,
        left - 4.0,
        top + h
    );
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text></svg></figure>",
        left + w / 2.0,
        top + h + 34.0
    );
}

/// The study page: `trials` (every trial, best first) of a sweep over
/// `space` ranked by `objective`, and `best_report`, the best trial's own
/// HTML report, shown below.
pub fn render_study_page(
    title: &str,
    space: &SearchSpace,
    objective: &str,
    trials: &[TrialOutcome],
    best_report: &str,
) -> String {
    let mut out = String::new();
    let title = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}}figure{{display:inline-block;margin:0 1.5rem 1.5rem 0;vertical-align:top}}\
         figcaption{{font-weight:600;margin-bottom:.3rem}}svg text{{font-size:11px;fill:#333}}.note{{font-size:12px;color:#666;margin:.2rem 0}}\
         table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         iframe{{width:100%;height:1800px;border:1px solid #ccc}}</style></head><body><h1>{title}</h1>"
    );
    let _ = write!(out, "<p>{} trials ranked by {}.</p>", trials.len(), escape(objective));
    if let Some(best) = trials.first() {
        let swept: Vec<usize> = (0..space.axes.len()).filter(|&a| distinct(trials, a).len() > 1).collect();
        let pairs: Vec<(usize, usize)> = swept
            .iter()
            .enumerate()
            .flat_map(|(i, &a)| swept[i + 1..].iter().map(move |&b| (a, b)))
            .take(MAX_HEATMAPS)
            .collect();
        if !pairs.is_empty() {
            out.push_str("<h2>Objective by pairs of parameters</h2><p class=\"note\">The other parameters at the best trial's values.</p>");
        }
        for pair in pairs {
            heatmap(&mut out, space, trials, best, pair);
        }
        out.push_str("<h2>Each parameter against the objective</h2>");
        for axis in swept {
            scatter(&mut out, space, trials, axis, objective);
        }
        out.push_str("<h2>Best trials</h2><table><tr><th>#</th>");
        for axis in &space.axes {
            let _ = write!(out, "<th>{}</th>", escape(axis.name));
        }
        let _ = write!(out, "<th>{}</th></tr>", escape(objective));
        for (rank, trial) in trials.iter().take(20).enumerate() {
            let _ = write!(out, "<tr><td>{}</td>", rank + 1);
            for value in &trial.trial.values {
                let _ = write!(out, "<td>{value}</td>");
            }
            let _ = write!(out, "<td>{:.6}</td></tr>", trial.value);
        }
        out.push_str("</table><h2>The best trial's report</h2>");
        let _ = write!(out, "<iframe title=\"best trial\" srcdoc=\"{}\"></iframe>", escape(best_report));
    }
    out.push_str("</body></html>");
    out
}
