//! Headless Chromium for the browser tests: finding it, its flags, and
//! reading the attributes the pages' scripts leave in the dumped DOM.

// Each test binary that includes this uses only some of it.
#![allow(dead_code)]

use std::process::Command;

/// Chromium's headless flags for this closed-network sandbox.
pub const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium binary, or `None` (the test is skipped, unless
/// `GPT_TRADER_REQUIRE_CHROMIUM` says CI has it).
pub fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()));
    if found.is_none() {
        assert!(
            std::env::var_os("GPT_TRADER_REQUIRE_CHROMIUM").is_none(),
            "GPT_TRADER_REQUIRE_CHROMIUM is set but no Chromium is installed"
        );
        eprintln!("Chromium not installed (apt-get install chromium); skipping the browser test");
    }
    found
}

/// The folder of the Playwright scripts (`tests/browser`) once `npm ci` has
/// installed playwright-core there, and Node.js to run them; `None` (the
/// test is skipped, unless `GPT_TRADER_REQUIRE_PLAYWRIGHT` says CI has them).
pub fn playwright() -> Option<std::path::PathBuf> {
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let ready = node && scripts.join("node_modules/playwright-core/package.json").is_file();
    if !ready {
        assert!(
            std::env::var_os("GPT_TRADER_REQUIRE_PLAYWRIGHT").is_none(),
            "GPT_TRADER_REQUIRE_PLAYWRIGHT is set but Node.js or playwright-core is missing \
             (npm ci --prefix crates/cli/tests/browser)"
        );
        eprintln!("Node.js or playwright-core missing (npm ci --prefix crates/cli/tests/browser); skipping");
    }
    ready.then_some(scripts)
}

/// The value of `attribute` on the element whose opening tag contains `marker`.
pub fn attribute(dom: &str, marker: &str, attribute: &str) -> Option<String> {
    let start = dom.find(marker)?;
    let tag = &dom[dom[..start].rfind('<')?..start + dom[start..].find('>')?];
    let key = format!("{attribute}=\"");
    let from = tag.find(&key)? + key.len();
    Some(tag[from..from + tag[from..].find('"')?].to_owned())
}
