// One headless Chromium page, driven by StatusPageTest through stdin/stdout: one JSON command per line in, one
// JSON answer per line out, in order. The Java test decides what to do and when (faults, requests, waits); this
// only runs the browser. Everything the page logs as an error or warning (a CSP violation, an exception) is kept
// for the test to read.
//
//   {"op":"goto","url":...}            load the page
//   {"op":"eval","js":"..."}           evaluate an expression in the page; answers its (JSON-able) value
//   {"op":"hover","selector":...}      move the mouse onto an element
//   {"op":"click","selector":...}
//   {"op":"screenshot","path":...}     the whole page as PNG
//   {"op":"problems"}                  the errors and warnings logged so far, then forgets them
//
// Answers: {"ok":true,"value":...} or {"ok":false,"error":"..."}.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  // Chromium's sandbox needs user namespaces or a setuid helper; CI containers run as root without either.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
let problems = [];
page.on('console', m => {
  if (m.type() === 'error' || m.type() === 'warning') problems.push(m.type() + ': ' + m.text());
});
page.on('pageerror', e => problems.push('exception: ' + e.message));

async function run(cmd) {
  switch (cmd.op) {
    case 'goto': await page.goto(cmd.url, { waitUntil: 'load' }); return null;
    case 'eval': return await page.evaluate(cmd.js);
    case 'hover': await page.hover(cmd.selector); return null;
    case 'click': await page.click(cmd.selector); return null;
    case 'screenshot': await page.screenshot({ path: cmd.path, fullPage: true }); return null;
    case 'problems': { const p = problems; problems = []; return p; }
    default: throw new Error('unknown op ' + cmd.op);
  }
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = { ok: true, value: (await run(JSON.parse(line))) ?? null };
  } catch (e) {
    answer = { ok: false, error: String(e && e.message || e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
await browser.close();
