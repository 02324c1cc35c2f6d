#!/usr/bin/env node
// Runs the integration tests (mocha inside a real VS Code extension host) offline:
// code-server 4.100.3 (VS Code 1.100.3 web workbench + Node extension host) started on a free
// port with a throw-away HOME/user-data/extensions folder, opened in Debian's headless chromium
// through playwright-core, with the `payload` query parameter that VS Code's own browser
// integration tests use (extensionDevelopmentPath + extensionTestsPath).
//
//   node test/vscode-host/run.mjs                 # tests against the working tree (dist/)
//   node test/vscode-host/run.mjs --vsix x.vsix   # tests against the packaged extension
//
// Options: --tests <dir|file>   built test module (default out/integration-tests)
//          --workspace <dir>    fixture workspace, copied to a temp folder (default
//                               test/integration/workspace-fixture)
//          --extension <dir>    extension development folder (default: repository root)
//          --timeout <seconds>  hard limit for the whole run (default 300)
//          --grep <pattern>     only tests whose full title matches (mocha --grep)
//          --keep               keep the temp folder (logs, workspace) for inspection
//          --verbose            relay every console message of the workbench, not only the tests'
// Exit code: mocha's result (0 pass, 1 fail), 124 on timeout, 2 on harness errors.
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { VscodeHost, chromiumPath, codeServerEntry, consoleText, printHeaderHelp, repoRoot, sleep } from './host.mjs';

const t0 = Date.now();

function parseArgs(argv) {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      vsix: { type: 'string' }, tests: { type: 'string' }, workspace: { type: 'string' }, extension: { type: 'string' },
      timeout: { type: 'string' }, grep: { type: 'string' }, keep: { type: 'boolean' }, verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) printHeaderHelp(import.meta.url);
  const path = (value, fallback) => (value === undefined ? fallback : resolve(value));
  return {
    vsix: path(values.vsix, undefined),
    tests: path(values.tests, join(repoRoot, 'out', 'integration-tests')),
    workspace: path(values.workspace, join(repoRoot, 'test', 'integration', 'workspace-fixture')),
    extension: path(values.extension, repoRoot),
    timeout: Number(values.timeout ?? 300),
    grep: values.grep,
    keep: values.keep ?? false,
    verbose: values.verbose ?? false,
  };
}

// Process tagging, code-server, chromium and cleanup: ./host.mjs (shared with test/e2e/run.mjs).
const host = new VscodeHost({ name: 'vscode-host', t0 });
const elapsed = () => host.elapsed();
const say = (msg) => host.say(msg);
let opts;

async function finish(code) {
  await host.cleanup();
  say(`exit ${code}`);
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { say(`${sig}: stopping`); void finish(130); });
}
process.on('uncaughtException', (err) => { say(`harness error: ${err?.stack ?? err}`); void finish(2); });
process.on('unhandledRejection', (err) => { say(`harness error: ${err?.stack ?? err}`); void finish(2); });

async function main() {
  opts = parseArgs(process.argv.slice(2));
  host.keep = opts.keep;
  const browserPath = chromiumPath();
  if (!existsSync(browserPath)) throw new Error(`${browserPath} missing: apt-get install -y chromium (or set AELAB_CHROMIUM)`);
  const testsPath = statSync(opts.tests, { throwIfNoEntry: false })?.isDirectory() ? join(opts.tests, 'index.js') : opts.tests;
  if (!existsSync(testsPath)) throw new Error(`${testsPath} missing: run node test/vscode-host/build-tests.mjs`);
  if (opts.vsix && !existsSync(opts.vsix)) throw new Error(`${opts.vsix} missing`);

  const hardTimer = setTimeout(() => { say(`hard timeout after ${opts.timeout}s`); void finish(124); }, opts.timeout * 1000);
  hardTimer.unref();

  const { dirs, env } = host.prepare({
    workspace: opts.workspace,
    extraDirs: { runner: 'test-runner' },
    env: (d) => ({
      // Read by the in-host test module.
      AELAB_TEST_MODE: opts.vsix ? 'vsix' : 'dev',
      AELAB_TEST_REPO: repoRoot,
      AELAB_TEST_RESULT_FILE: join(d.logs, 'mocha-result.json'),
      AELAB_TEST_SHUTDOWN_FILE: join(d.logs, 'shutdown-check.json'),
      ...(opts.grep ? { AELAB_TEST_GREP: opts.grep } : {}),
    }),
  });
  codeServerEntry(); // fails early with the set-up hint when code-server is missing

  // The extension under test: the working tree (extensionDevelopmentPath), or the .vsix
  // installed into the fresh extensions folder, next to a tiny runner-only development extension
  // (the workbench needs an extensionDevelopmentPath to run extensionTestsPath at all).
  let developmentPath = opts.extension;
  if (opts.vsix) {
    host.installVsix(opts.vsix);
    developmentPath = dirs.runner;
    writeFileSync(join(dirs.runner, 'package.json'), JSON.stringify({
      name: 'aelab-test-runner', publisher: 'aelab-tests', version: '0.0.0', engines: { vscode: '*' },
      description: 'Carries the integration tests; the extension under test is the installed .vsix.',
    }, null, 2));
  }
  // The test bundle is CommonJS: give it a folder with a package.json that says so.
  const testsDir = join(host.tempRoot, 'tests');
  mkdirSync(testsDir, { recursive: true });
  cpSync(dirname(testsPath), testsDir, { recursive: true });
  writeFileSync(join(testsDir, 'package.json'), '{ "type": "commonjs" }\n');
  const testsModule = join(testsDir, testsPath.slice(dirname(testsPath).length + 1));

  const url = await host.startServer();
  const authority = await host.remoteAuthority();
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [['extensionDevelopmentPath', remote(developmentPath)], ['extensionTestsPath', remote(testsModule)]];
  const testUrl = `${url}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  const { page } = await host.launchChromium({ viewport: { width: 1280, height: 900 } });

  const result = new Promise((resolveResult) => {
    void page.exposeFunction('codeAutomationExit', async (code, logs) => {
      if (Array.isArray(logs)) {
        for (const log of logs) {
          try {
            const file = join(dirs.logs, 'workbench', String(log.relativePath ?? 'log.txt'));
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, String(log.contents ?? ''));
          } catch { /* diagnostics only */ }
        }
      }
      resolveResult(Number(code));
    });
  });

  // Mocha output arrives as console messages: '%c LEVEL', a CSS string, then format arguments.
  let inTests = false;
  page.on('console', async (msg) => {
    const { text, fromHost } = await consoleText(msg);
    if (text.includes('AELAB-TESTS-BEGIN')) { inTests = true; return; }
    if (text.includes('AELAB-TESTS-END')) { inTests = false; return; }
    if (inTests && fromHost) process.stdout.write(`${text}\n`);
    else if (opts.verbose) process.stderr.write(`  [${elapsed()} console.${msg.type()}] ${text}\n`);
  });
  page.on('pageerror', (err) => { if (opts.verbose) say(`page error: ${err.message}`); });

  say('opening workbench');
  await page.goto(testUrl);
  const code = await result;
  say(`tests finished with code ${code} (workbench open to exit: ${elapsed()})`);
  clearTimeout(hardTimer);

  if (existsSync(env.AELAB_TEST_RESULT_FILE)) {
    try {
      const r = JSON.parse(readFileSync(env.AELAB_TEST_RESULT_FILE, 'utf8'));
      say(`mocha: ${r.passes} passing, ${r.failures} failing, ${r.pending} pending, ${r.durationMs} ms`);
    } catch { /* optional */ }
  }
  const shutdownOk = await checkShutdown(env.AELAB_TEST_SHUTDOWN_FILE, Boolean(opts.grep || process.env.AELAB_TEST_GREP));
  await finish(code === 0 && shutdownOk ? 0 : 1);
}

/**
 * "Closing the window leaves no process behind": a test may leave a run training and name its
 * folder in AELAB_TEST_SHUTDOWN_FILE. Close the window, stop code-server (its extension host
 * deactivates the extension), then no worker may survive and the run folder must be final.
 */
async function checkShutdown(file, filtered) {
  if (!existsSync(file)) {
    // A full run always includes the shutdown test, which writes the file; a filtered run may not.
    if (filtered) return true;
    say(`FAIL: ${file} missing: the shutdown test did not leave a run for the shutdown check`);
    return false;
  }
  const { runDir, workerPid } = JSON.parse(readFileSync(file, 'utf8'));
  const t = Date.now();
  await host.closeBrowser();
  try { process.kill(host.server.pid, 'SIGTERM'); } catch { /* gone */ }
  const workers = () => host.taggedPids().filter((p) => p === workerPid || host.describePid(p).includes('worker.js'));
  const deadline = Date.now() + 10_000;
  while (workers().length && Date.now() < deadline) await sleep(100);
  const left = workers();
  let ok = true;
  if (left.length) {
    say(`FAIL: worker process(es) left after the window closed and the server stopped: ${left.map((p) => `${p} ${host.describePid(p)}`).join('; ')}`);
    ok = false;
  }
  let state = 'unknown';
  try { state = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')).state; } catch { /* missing */ }
  if (state === 'running') {
    say(`FAIL: ${runDir} still says running after shutdown`);
    ok = false;
  }
  say(`shutdown check: ${ok ? 'ok' : 'FAILED'} (worker gone after ${Date.now() - t} ms, run folder ${state})`);
  return ok;
}

main().catch((err) => {
  say(`harness error: ${err?.stack ?? err}`);
  void finish(2);
});
