#!/usr/bin/env node
// UI end-to-end test in the real workbench, driven like a person (GitHub issue 4): code-server
// 4.100.3 (VS Code 1.100.3 web + Node extension host) with the packaged extension installed
// from a .vsix and test/e2e/workspace open, in Debian's headless chromium through playwright-core.
//
//   1. Quick Open (Ctrl+P) e2e.aelab.yaml, Enter: the experiment is the active editor;
//   2. command palette (F1) "Autoencoder Lab: Train Autoencoder", Enter: a real training run
//      (the engine worker) writes <workspace>/.aelab/runs/e2e/<run id>/;
//   3. the Results panel opens by itself when the run completes (aelab.openResultsOnComplete);
//   4. the confusion matrix (TP/TN/FP/FN) and F1 read from the webview's DOM agree with each
//      other, with the test count and with summary.json's operatingPoint; screenshot;
//   5. the threshold handle of the error distribution, dragged with real mouse events, changes
//      counts and F1, which still agree with each other and with core's confusionAt over the
//      run's scores.bin / labels.bin at the threshold the panel shows (test/e2e/confusionAt.ts);
//      screenshot.
//
//   node test/e2e/run.mjs --vsix aelab.vsix
//
// Options: --vsix <file>          the packaged extension (default aelab.vsix; build: npm run package)
//          --out <dir>            artifact folder, emptied first (default test-results/e2e)
//          --timeout <seconds>    hard limit for the whole run (default 300)
//          --train-timeout <s>    how long the run may take to complete (default 180)
//          --keep                 keep the temp folder (workspace, user data, logs)
//          --verbose              relay every console message of the workbench to stderr
// Artifacts (in --out): 01-results.png, 02-threshold-dragged.png (failure.png on failure),
// workbench-console.log (every console message of the page and its webviews), code-server.log,
// vscode-logs/ (the server's and extension host's logs), run/ (summary.json and run.log of the
// run), result.json (what was read and checked, timings).
// Exit code: 0 pass; 1 fail (a check, a timeout or a harness error: the last lines say which).
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { VscodeHost, consoleText, printHeaderHelp, repoRoot, sleep } from '../vscode-host/host.mjs';

const t0 = Date.now();
const EXPERIMENT_FILE = 'e2e.aelab.yaml';
const EXPERIMENT_NAME = 'e2e';
const COMMAND = 'Autoencoder Lab: Train Autoencoder';

function parseArgs(argv) {
  let values;
  try {
    ({ values } = parseCommandLine({
      args: argv,
      options: {
        vsix: { type: 'string' }, out: { type: 'string' }, timeout: { type: 'string' }, 'train-timeout': { type: 'string' },
        keep: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CheckError(`${err.message} (see --help)`);
  }
  if (values.help) printHeaderHelp(import.meta.url);
  return {
    vsix: resolve(values.vsix ?? join(repoRoot, 'aelab.vsix')),
    out: resolve(values.out ?? join(repoRoot, 'test-results', 'e2e')),
    workspace: join(repoRoot, 'test', 'e2e', 'workspace'),
    timeout: Number(values.timeout ?? 300),
    trainTimeout: Number(values['train-timeout'] ?? 180),
    keep: values.keep ?? false,
    verbose: values.verbose ?? false,
  };
}

const host = new VscodeHost({ name: 'e2e', t0 });
const say = (msg) => host.say(msg);
let opts;
let page;
let consoleFile;
const timings = {};
const record = {};
const mark = (name) => { timings[name] = Number(((Date.now() - t0) / 1000).toFixed(1)); };

class CheckError extends Error {}

/** One named check: logged when it holds, the run fails with `message` when it does not. */
function check(ok, message, detail) {
  if (!ok) throw new CheckError(`${message}${detail === undefined ? '' : `\n    ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  say(`ok: ${message}`);
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeoutMs`. */
async function waitFor(what, fn, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new CheckError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await sleep(intervalMs);
  }
}

// ---- artifacts

function prepareOut() {
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  consoleFile = join(opts.out, 'workbench-console.log');
  writeFileSync(consoleFile, '');
}

function logConsole(line) {
  try { appendFileSync(consoleFile, `${line}\n`); } catch { /* diagnostics only */ }
}

async function screenshot(name) {
  const file = join(opts.out, `${name}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  say(`screenshot ${relative(repoRoot, file)}`);
  return file;
}

function saveDiagnostics() {
  try { writeFileSync(join(opts.out, 'code-server.log'), host.serverLog.join('')); } catch { /* best effort */ }
  try {
    const logs = join(host.dirs.userData, 'logs');
    if (existsSync(logs)) cpSync(logs, join(opts.out, 'vscode-logs'), { recursive: true });
  } catch { /* best effort */ }
  try {
    const runs = join(host.dirs.workspace, '.aelab', 'runs', EXPERIMENT_NAME);
    for (const id of existsSync(runs) ? readdirSync(runs) : []) {
      for (const f of ['summary.json', 'status.json', 'run.log', 'config.json']) {
        const src = join(runs, id, f);
        if (existsSync(src)) cpSync(src, join(opts.out, 'run', f));
      }
    }
  } catch { /* best effort */ }
  try {
    writeFileSync(join(opts.out, 'result.json'), JSON.stringify({ ...record, timings }, null, 2) + '\n');
  } catch { /* best effort */ }
}

// ---- exit paths

let finishing = false;
async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  if (code !== 0) {
    record.failure = reason;
    if (page) {
      try { await screenshot('failure'); } catch { /* the page may be gone */ }
    }
  }
  record.passed = code === 0;
  mark('total');
  if (host.dirs) saveDiagnostics();
  await host.cleanup();
  // Everything started (code-server, extension host, engine worker, chromium) must be gone.
  let left = host.taggedPids();
  for (const deadline = Date.now() + 2000; left.length && Date.now() < deadline; left = host.taggedPids()) await sleep(100);
  if (left.length) {
    say(`FAIL: ${left.length} process(es) survived the cleanup: ${left.map((p) => `${p} ${host.describePid(p)}`).join('; ')}`);
    if (code === 0) [code, reason] = [1, 'processes survived the cleanup'];
  }
  const out = opts?.out && existsSync(opts.out) ? relative(repoRoot, opts.out) || opts.out : undefined;
  if (code === 0) say(`PASS in ${timings.total} s; artifacts in ${out}`);
  else say(`FAIL: ${reason}${out ? `\n  artifacts in ${out} (failure.png, workbench-console.log, code-server.log, vscode-logs/)` : ''}`);
  process.exit(code);
}

const fail = (err) => void finish(1, err instanceof CheckError ? err.message : `harness error: ${err?.stack ?? err}`);

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { say(`${sig}: stopping`); void finish(130, `interrupted (${sig})`); });
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

// ---- the workbench, driven like a person

const quickInput = () => page.locator('.quick-input-widget');
const quickRows = () => page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

/** The visible rows of the quick input: their text, and which one is focused. */
async function rowsShown() {
  return quickRows().evaluateAll((rows) => rows.map((r) => ({ text: (r.textContent ?? '').replace(/\s+/g, ' ').trim(), focused: r.classList.contains('focused') })));
}

/** Quick Open (Ctrl+P), type the file name, Enter; resolves when its editor is the active tab. */
async function quickOpen(fileName) {
  const activeTab = page.locator(`.tabs-container .tab.active[aria-label*="${fileName}"]`);
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Control+P');
      await quickInput().waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.type(fileName, { delay: 20 });
      await waitFor(`"${fileName}" in Quick Open`, async () => (await rowsShown()).some((r) => r.focused && r.text.includes(fileName)), 15_000);
      await page.keyboard.press('Enter');
      await activeTab.waitFor({ state: 'visible', timeout: 10_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw new CheckError(`Quick Open could not open ${fileName}: ${err.message}\n    rows: ${JSON.stringify(await rowsShown().catch(() => []))}`);
      say(`Quick Open attempt ${attempt} failed (${err.message.split('\n')[0]}); retrying`);
      await page.keyboard.press('Escape');
      await sleep(1000);
    }
  }
}

/** Command palette (F1), type the command's label, check it is the focused entry, Enter. */
async function runFromPalette(label) {
  await page.keyboard.press('F1');
  await quickInput().waitFor({ state: 'visible', timeout: 10_000 });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await waitFor('the command palette\'s ">" prefix', async () => (await input.inputValue()).startsWith('>'), 5_000, 50);
  await page.keyboard.type(label, { delay: 15 });
  const rows = await waitFor(`"${label}" focused in the command palette`, async () => {
    const r = await rowsShown();
    return r.some((x) => x.focused && x.text.startsWith(label)) ? r : undefined;
  }, 15_000).catch(async (err) => {
    throw new CheckError(`${err.message}\n    rows: ${JSON.stringify(await rowsShown().catch(() => []))}`);
  });
  check(rows.some((x) => x.focused && x.text.startsWith(label)), `the command palette offers "${label}"`);
  await page.keyboard.press('Enter');
}

function runsDir(name) {
  return join(host.dirs.workspace, '.aelab', 'runs', name);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Waits for the (single) run of the experiment to complete; returns its folder. */
async function waitForRun() {
  const root = runsDir(EXPERIMENT_NAME);
  const dir = await waitFor(`a run folder under ${root}`, () => {
    const ids = existsSync(root) ? readdirSync(root).filter((id) => existsSync(join(root, id, 'status.json'))) : [];
    return ids.length ? join(root, ids.sort().at(-1)) : undefined;
  }, 60_000);
  say(`run folder ${dir}`);
  mark('runStarted');
  let lastState;
  const status = await waitFor('the run to complete', () => {
    let s;
    try { s = readJson(join(dir, 'status.json')); } catch { return undefined; }
    if (s.state !== lastState) { say(`  run state: ${s.state}`); lastState = s.state; }
    if (s.state === 'completed') return existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'scores.json')) ? s : undefined;
    if (['failed', 'cancelled'].includes(s.state)) {
      let log = '';
      try { log = readFileSync(join(dir, 'run.log'), 'utf8').split('\n').slice(-15).join('\n    '); } catch { /* none */ }
      throw new CheckError(`the run ended ${s.state}: ${s.error ?? ''}\n    ${log}`);
    }
    return undefined;
  }, opts.trainTimeout * 1000, 250).catch((err) => { throw err instanceof CheckError ? err : new CheckError(err.message); });
  check(status.state === 'completed', 'the run completed');
  mark('runCompleted');
  return dir;
}

/** The results webview's content frame (the inner #active-frame of the panel's iframe). */
async function findResultsFrame(runId) {
  return waitFor('the Results panel webview to render the run', async () => {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const ok = await frame.evaluate((id) => Boolean(document.getElementById('confusion'))
        && Number(document.body?.dataset.rendered ?? 0) >= 1
        && (document.getElementById('run-header')?.textContent ?? '').includes(id), runId).catch(() => false);
      if (ok) return frame;
    }
    return undefined;
  }, 60_000, 250);
}

/** What the panel shows: confusion cells, F1, the threshold field and the handle's exact value. */
async function readPanel(frame) {
  return frame.evaluate(() => {
    const text = (id) => (document.getElementById(id)?.textContent ?? '').trim();
    const count = (id) => Number(text(id).replace(/,/g, ''));
    const handle = document.getElementById('threshold-handle');
    const field = document.getElementById('threshold-field');
    return {
      tp: count('cell-tp'), tn: count('cell-tn'), fp: count('cell-fp'), fn: count('cell-fn'),
      f1: text('metric-f1'),
      thresholdField: String(field?.value ?? ''),
      thresholdExact: Number(handle?.getAttribute('aria-valuenow')),
      handleVisible: Boolean(handle && handle.style.display !== 'none' && handle.getBoundingClientRect().width > 0),
      state: text('run-state'),
    };
  });
}

const f1Of = ({ tp, fp, fn }) => (2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
const countsOf = ({ tp, tn, fp, fn }) => ({ tp, tn, fp, fn });
const sameCounts = (a, b) => a.tp === b.tp && a.tn === b.tn && a.fp === b.fp && a.fn === b.fn;
/** What the panel writes into the threshold field (src/webview/shared/format.ts roundThreshold). */
const roundThreshold = (x) => Number(x.toPrecision(6));

/** The numbers shown must agree with each other and with the test count. */
function checkIdentities(shown, testCount, when) {
  const sum = shown.tp + shown.tn + shown.fp + shown.fn;
  check([shown.tp, shown.tn, shown.fp, shown.fn].every(Number.isInteger), `${when}: the confusion cells hold whole numbers`, shown);
  check(sum === testCount, `${when}: TP+TN+FP+FN = ${sum} = the run's ${testCount} test images`, shown);
  check(shown.f1 === f1Of(shown).toFixed(3), `${when}: F1 ${shown.f1} = 2TP/(2TP+FP+FN) = ${f1Of(shown).toFixed(3)}`, shown);
  check(shown.thresholdField !== '' && Number(shown.thresholdField) === roundThreshold(shown.thresholdExact),
    `${when}: the threshold field shows ${shown.thresholdField}, the handle's threshold ${shown.thresholdExact} to 6 digits`, shown);
}

/** core's confusionAt over the run's scores.bin / labels.bin (test/e2e/confusionAt.ts through tsx). */
function coreConfusion(runDir, thresholds) {
  const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
  const out = execFileSync(tsx, [join(repoRoot, 'test', 'e2e', 'confusionAt.ts'), runDir, ...thresholds.map(String)], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out);
}

/** Drags the threshold handle by dx CSS pixels with real mouse events (press, 15 moves, release). */
async function dragHandle(frame, dx) {
  const handle = frame.locator('#threshold-handle');
  await handle.scrollIntoViewIfNeeded({ timeout: 10_000 });
  const box = await handle.boundingBox();
  if (!box) throw new CheckError('the threshold handle has no box on screen');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  // Nothing of the workbench (a notification, a hover) may cover the point the mouse presses.
  const hit = await page.evaluate(([px, py]) => {
    const el = document.elementFromPoint(px, py);
    return el ? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}` : 'nothing';
  }, [x, y]);
  check(hit.startsWith('iframe'), `the handle is not covered by the workbench (the point hits ${hit})`);
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y, { steps: 15 });
  await page.mouse.up();
  // The panel applies the last move at the next animation frame (and on release): let it paint.
  await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))));
  return { from: x, to: x + dx };
}

async function main() {
  opts = parseArgs(process.argv.slice(2));
  host.keep = opts.keep;
  prepareOut();
  if (!existsSync(opts.vsix)) throw new CheckError(`${opts.vsix} missing: build it with npm run package`);
  const hardTimer = setTimeout(() => void finish(1, `hard timeout after ${opts.timeout} s (see failure.png and workbench-console.log)`), opts.timeout * 1000);
  hardTimer.unref();

  const { dirs } = host.prepare({
    workspace: opts.workspace,
    settings: {
      'aelab.openResultsOnComplete': true,
      'workbench.editor.enablePreview': false,
      'extensions.ignoreRecommendations': true,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
    },
  });
  host.installVsix(opts.vsix);
  mark('installed');
  const url = await host.startServer();
  ({ page } = await host.launchChromium({ viewport: { width: 1440, height: 960 } }));
  mark('browser');

  page.on('console', async (msg) => {
    // Errors and objects lose their text in jsonValue(): fall back to the page's own rendering.
    const formatted = (await consoleText(msg)).text;
    const text = formatted.trim() ? formatted : msg.text();
    const frameUrl = msg.location()?.url ?? '';
    const where = frameUrl.includes('/webview/') ? ' [webview]' : '';
    const at = ['error', 'warning'].includes(msg.type()) && frameUrl ? ` (${frameUrl})` : '';
    logConsole(`[${host.elapsed()}] console.${msg.type()}${where} ${text}${at}`);
    if (opts.verbose) process.stderr.write(`  [${host.elapsed()} console.${msg.type()}${where}] ${text}\n`);
  });
  page.on('pageerror', (err) => logConsole(`[${host.elapsed()}] pageerror ${err.stack ?? err.message}`));
  page.on('crash', () => logConsole(`[${host.elapsed()}] the page crashed`));

  say('opening workbench');
  await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  // The explorer lists the workspace once the remote file system answers.
  await page.locator(`.explorer-folders-view .monaco-list-row[aria-label*="${EXPERIMENT_FILE}"]`).first().waitFor({ state: 'visible', timeout: 60_000 })
    .catch(() => say('(the explorer did not list the experiment; going on)'));
  mark('workbench');
  say('workbench loaded');

  await quickOpen(EXPERIMENT_FILE);
  check(true, `Quick Open made ${EXPERIMENT_FILE} the active editor`);
  mark('opened');

  await runFromPalette(COMMAND);
  const runDir = await waitForRun();
  const runId = runDir.split('/').at(-1);
  record.runDir = runDir;
  const summary = readJson(join(runDir, 'summary.json'));
  const op = summary.operatingPoint;
  record.summary = { testCount: summary.testCount, anomalyCount: summary.anomalyCount, chosen: summary.chosen, operatingPoint: op, backend: summary.backend, trainSeconds: summary.trainSeconds };
  say(`summary: ${summary.testCount} test images, ${summary.anomalyCount} anomalous, ${summary.chosen} threshold ${op.threshold}: TP ${op.tp} TN ${op.tn} FP ${op.fp} FN ${op.fn} F1 ${op.f1.toFixed(3)} (backend ${summary.backend}, trained ${summary.trainSeconds} s)`);
  check(!existsSync(runsDir('other')), 'only the active editor\'s experiment was trained (no runs of other.aelab.yaml)');

  const frame = await findResultsFrame(runId);
  mark('panel');
  check(true, `the Results panel opened by itself and rendered run ${runId}`);
  const tab = page.locator(`.tabs-container .tab[aria-label*="Results: ${EXPERIMENT_NAME} / ${runId}"]`);
  check(await tab.count() === 1, `the Results panel's tab is titled "Results: ${EXPERIMENT_NAME} / ${runId}"`);

  // ---- at the threshold the run chose
  const before = await waitFor('the confusion matrix to be filled in', async () => {
    const s = await readPanel(frame);
    return s.thresholdField !== '' && s.f1 !== '' && Number.isFinite(s.thresholdExact) ? s : undefined;
  }, 15_000, 100);
  record.before = before;
  say(`panel: TP ${before.tp} TN ${before.tn} FP ${before.fp} FN ${before.fn} F1 ${before.f1} threshold ${before.thresholdField} (${before.state})`);
  check(before.state === 'completed', 'the panel says the run completed', before.state);
  checkIdentities(before, summary.testCount, 'as opened');
  check(sameCounts(before, op), `as opened: the counts are summary.json's operatingPoint (TP ${op.tp} TN ${op.tn} FP ${op.fp} FN ${op.fn})`, { shown: countsOf(before), summary: countsOf(op) });
  check(before.f1 === op.f1.toFixed(3), `as opened: F1 ${before.f1} is summary.json's ${op.f1}`);
  check(before.thresholdExact === op.threshold, `as opened: the threshold is summary.json's (${summary.chosen}) ${op.threshold}`, before.thresholdExact);
  await screenshot('01-results');

  // ---- drag the threshold handle
  check(before.handleVisible, 'the threshold handle is on the error distribution');
  const plot = await frame.locator('#histogram .u-over').boundingBox();
  const handleBox = await frame.locator('#threshold-handle').boundingBox();
  if (!plot || !handleBox) throw new CheckError('the error distribution plot or its handle has no box');
  // Towards the side with more room: a third of the plot's width, then further if F1 did not move.
  const centre = handleBox.x + handleBox.width / 2;
  const direction = centre - plot.x > plot.x + plot.width - centre ? -1 : 1;
  let after;
  const drags = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const box = await frame.locator('#threshold-handle').boundingBox();
    const c = box.x + box.width / 2;
    const room = direction < 0 ? c - plot.x - 2 : plot.x + plot.width - c - 2;
    const dx = direction * Math.min(plot.width / 3 / attempt, room);
    drags.push(await dragHandle(frame, dx));
    after = await readPanel(frame);
    say(`dragged ${dx > 0 ? 'right' : 'left'} ${Math.abs(dx).toFixed(0)} px: TP ${after.tp} TN ${after.tn} FP ${after.fp} FN ${after.fn} F1 ${after.f1} threshold ${after.thresholdField}`);
    if (!sameCounts(after, before) && after.f1 !== before.f1) break;
  }
  mark('dragged');
  record.drags = drags;
  record.after = after;
  check(after.thresholdExact !== before.thresholdExact && (direction < 0 ? after.thresholdExact < before.thresholdExact : after.thresholdExact > before.thresholdExact),
    `the drag moved the threshold ${direction < 0 ? 'down' : 'up'} (${before.thresholdField} -> ${after.thresholdField})`);
  check(!sameCounts(after, before), 'the drag changed the confusion counts', { before: countsOf(before), after: countsOf(after) });
  check(after.f1 !== before.f1, `the drag changed F1 (${before.f1} -> ${after.f1})`);
  checkIdentities(after, summary.testCount, 'after the drag');

  const core = coreConfusion(runDir, [after.thresholdField, after.thresholdExact, before.thresholdExact]);
  record.core = core;
  check(core.count === summary.testCount, `scores.bin holds the ${summary.testCount} test scores`, core.count);
  const [atField, atExact, atBefore] = core.points;
  check(sameCounts(atBefore, before), 'as opened: core\'s confusionAt over scores.bin at the chosen threshold gives the counts shown', { shown: countsOf(before), core: countsOf(atBefore) });
  check(sameCounts(atField, after), `after the drag: core's confusionAt at the threshold field's ${after.thresholdField} gives the counts shown`,
    { shown: countsOf(after), core: countsOf(atField), coreAtExactThreshold: countsOf(atExact) });
  check(sameCounts(atExact, after), `after the drag: ...and so does the handle's exact threshold ${after.thresholdExact}`, { shown: countsOf(after), core: countsOf(atExact) });
  check(after.f1 === atField.f1.toFixed(3), `after the drag: F1 ${after.f1} is core's ${atField.f1.toFixed(4)}`);
  await screenshot('02-threshold-dragged');

  // ---- no engine worker outlives its run
  const workers = () => host.taggedPids().filter((p) => host.describePid(p).includes('worker.js'));
  await waitFor('the engine worker to exit after the run', () => workers().length === 0, 10_000).catch(() => {
    throw new CheckError(`an engine worker is still running after the run completed: ${workers().map((p) => `${p} ${host.describePid(p)}`).join('; ')}`);
  });
  check(true, 'no engine worker process is left after the run');
  clearTimeout(hardTimer);
  await finish(0);
}

main().catch(fail);
