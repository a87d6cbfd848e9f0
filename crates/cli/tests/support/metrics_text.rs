//! Reading series out of a Prometheus / OpenMetrics text, for the tests that scrape `/metrics`.

// Each test binary that includes this uses only some of it.
#![allow(dead_code)]

/// The value of the series `name` (with any labels) in a metrics text; `None` when absent.
pub fn value(text: &str, name: &str) -> Option<f64> {
    value_where(text, name, "")
}

/// The value of the series `name` whose labels include `label` (`stream="bars"`); `None` when absent.
pub fn value_where(text: &str, name: &str, label: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            line.strip_prefix(name).is_some_and(|rest| {
                (rest.starts_with('{') || rest.starts_with(' '))
                    && rest.split(' ').next().is_some_and(|labels| labels.contains(label))
            })
        })
        .and_then(|line| line.rsplit(' ').next())
        .map(|v| v.parse().unwrap_or_else(|_| panic!("not a number in {line:?}", line = v)))
}

/// [`value`], failing when the series is absent.
pub fn must(text: &str, name: &str) -> f64 {
    value(text, name).unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}
