// Clicks a live session page's kill-switch button in Debian's Chromium and
// reports what happened as one JSON line on stdout, for
// crates/cli/tests/dashboard_clicks.rs to judge.
//
//   node kill_switch.mjs URL SCREENSHOT
//
// The first click's confirmation is dismissed (nothing may be sent), the
// second is accepted; then it waits for the page to show the session halted.
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
// Longest any one wait may take: the Rust test bounds the whole script too.
const WAIT_MS = 60000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  timeout: WAIT_MS,
});
const report = { dialogs: [], errors: [], posts: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => report.errors.push(String(e)));
  // A failed load is reported with its address by the response handler below.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) { report.errors.push(m.text()); }
  });
  page.on('response', (r) => { if (r.status() >= 400) { report.errors.push(`${r.status()} ${r.url()}`); } });
  page.on('request', (r) => { if (r.method() === 'POST') { report.posts.push(r.postData()); } });
  let accept = false;
  page.on('dialog', async (dialog) => {
    report.dialogs.push({ message: dialog.message(), accepted: accept });
    if (accept) { await dialog.accept(); } else { await dialog.dismiss(); }
  });
  await page.goto(url);
  // The first status event has arrived: the page shows a bar and the kill switch off.
  await page.waitForSelector('#live[data-steps][data-halted="false"]');
  report.steps_before = Number(await page.getAttribute('#live', 'data-steps'));

  await page.click('#kill');
  // A dismissed confirmation sends nothing; give a request the time to show.
  await page.waitForTimeout(500);
  report.posts_after_dismiss = report.posts.length;

  accept = true;
  const answer = page.waitForResponse((r) => r.url().endsWith('/commands') && r.request().method() === 'POST');
  await page.click('#kill');
  report.status = (await answer).status();
  await page.waitForSelector('#live[data-halted="true"]');
  report.halted_text = await page.textContent('#halted');
  report.command_result = await page.textContent('#command-result');
  report.steps_halted = Number(await page.getAttribute('#live', 'data-steps'));
  // The commands table's rows after its header: sent, command, from, reason, applied after bar.
  report.commands = await page.$$eval('#commands tr', (rows) => rows.slice(1).map(
    (row) => Array.from(row.children).map((cell) => cell.textContent)));
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  report.failure = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
