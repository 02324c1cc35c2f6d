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
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const hostDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(hostDir, '..', '..');
const t0 = Date.now();

function parseArgs(argv) {
  const opts = {
    vsix: undefined,
    tests: join(repoRoot, 'out', 'integration-tests'),
    workspace: join(repoRoot, 'test', 'integration', 'workspace-fixture'),
    extension: repoRoot,
    timeout: 300,
    grep: undefined,
    keep: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--vsix': opts.vsix = resolve(value()); break;
      case '--tests': opts.tests = resolve(value()); break;
      case '--workspace': opts.workspace = resolve(value()); break;
      case '--extension': opts.extension = resolve(value()); break;
      case '--timeout': opts.timeout = Number(value()); break;
      case '--grep': opts.grep = value(); break;
      case '--keep': opts.keep = true; break;
      case '--verbose': opts.verbose = true; break;
      case '-h': case '--help':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return opts;
}

const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg) => process.stderr.write(`[vscode-host ${elapsed()}] ${msg}\n`);

// ---- process bookkeeping: everything we start carries this tag in its environment, so cleanup
// finds stragglers even after they were re-parented to init (extension host, workers, chromium).
const tag = `aelab-vscode-host-${process.pid}-${randomBytes(4).toString('hex')}`;

function taggedPids() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (env.includes(`AELAB_HOST_TAG=${tag}\0`)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function describePid(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 160);
  } catch {
    return '?';
  }
}

function killPids(pids, signal) {
  for (const pid of pids) {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let cleanupStarted = false;
let codeServer;
let browserContext;
let tempRoot;
let opts;

/** Closes the browser, stops code-server (its process group), then kills anything still tagged. */
async function cleanup() {
  if (cleanupStarted) return;
  cleanupStarted = true;
  if (browserContext) {
    await Promise.race([browserContext.close().catch(() => {}), sleep(5000)]);
  }
  if (codeServer && codeServer.exitCode === null) {
    try { process.kill(-codeServer.pid, 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + 3000;
    while (codeServer.exitCode === null && codeServer.signalCode === null && Date.now() < deadline) await sleep(50);
  }
  // Give processes that were told to stop (extension host -> workers) a moment, then force.
  let left = taggedPids();
  if (left.length) {
    killPids(left, 'SIGTERM');
    const deadline = Date.now() + 2000;
    while ((left = taggedPids()).length && Date.now() < deadline) await sleep(100);
    if (left.length) {
      say(`killing ${left.length} leftover process(es): ${left.map((p) => `${p} ${describePid(p)}`).join('; ')}`);
      killPids(left, 'SIGKILL');
    }
  }
  if (tempRoot && !opts?.keep) {
    try { rmSync(tempRoot, { recursive: true, force: true }); } catch { /* best effort */ }
  } else if (tempRoot) {
    say(`kept ${tempRoot}`);
  }
}

async function finish(code) {
  await cleanup();
  say(`exit ${code}`);
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { say(`${sig}: stopping`); void finish(130); });
}
process.on('uncaughtException', (err) => { say(`harness error: ${err?.stack ?? err}`); void finish(2); });
process.on('unhandledRejection', (err) => { say(`harness error: ${err?.stack ?? err}`); void finish(2); });

function codeServerEntry() {
  const entry = join(hostDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error('code-server is not installed in test/vscode-host: run scripts/setup-vscode-host.sh');
  }
  return entry;
}

function htmlUnescape(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

async function main() {
  opts = parseArgs(process.argv.slice(2));
  const chromiumPath = process.env.AELAB_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} missing: apt-get install -y chromium (or set AELAB_CHROMIUM)`);
  const testsPath = statSync(opts.tests, { throwIfNoEntry: false })?.isDirectory() ? join(opts.tests, 'index.js') : opts.tests;
  if (!existsSync(testsPath)) throw new Error(`${testsPath} missing: run node test/vscode-host/build-tests.mjs`);
  if (opts.vsix && !existsSync(opts.vsix)) throw new Error(`${opts.vsix} missing`);

  const hardTimer = setTimeout(() => { say(`hard timeout after ${opts.timeout}s`); void finish(124); }, opts.timeout * 1000);
  hardTimer.unref();

  tempRoot = mkdtempSync(join(tmpdir(), 'aelab-vscode-host-'));
  const dirs = {
    home: join(tempRoot, 'home'),
    userData: join(tempRoot, 'user-data'),
    extensions: join(tempRoot, 'extensions'),
    profile: join(tempRoot, 'chromium-profile'),
    workspace: join(tempRoot, 'workspace'),
    runner: join(tempRoot, 'test-runner'),
    logs: join(tempRoot, 'logs'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  if (existsSync(opts.workspace)) cpSync(opts.workspace, dirs.workspace, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'files.watcherExclude': { '**/node_modules/**': true },
  }, null, 2));
  writeFileSync(join(tempRoot, 'config.yaml'), 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  const env = {
    ...process.env,
    AELAB_HOST_TAG: tag,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, '.config'),
    XDG_DATA_HOME: join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: join(dirs.home, '.cache'),
    XDG_RUNTIME_DIR: join(dirs.home, '.runtime'),
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    // Read by the in-host test module.
    AELAB_TEST_MODE: opts.vsix ? 'vsix' : 'dev',
    AELAB_TEST_REPO: repoRoot,
    AELAB_TEST_RESULT_FILE: join(dirs.logs, 'mocha-result.json'),
    AELAB_TEST_SHUTDOWN_FILE: join(dirs.logs, 'shutdown-check.json'),
    ...(opts.grep ? { AELAB_TEST_GREP: opts.grep } : {}),
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.NODE_OPTIONS;
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });

  const csArgs = [
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--config', join(tempRoot, 'config.yaml'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
  ];
  const entry = codeServerEntry();

  // The extension under test: the working tree (extensionDevelopmentPath), or the .vsix
  // installed into the fresh extensions folder, next to a tiny runner-only development extension
  // (the workbench needs an extensionDevelopmentPath to run extensionTestsPath at all).
  let developmentPath = opts.extension;
  if (opts.vsix) {
    say(`installing ${opts.vsix}`);
    const out = execFileSync(process.execPath, [entry, ...csArgs, '--install-extension', opts.vsix], { env, encoding: 'utf8', timeout: 120_000 });
    for (const line of out.split('\n').filter(Boolean)) say(`  ${line}`);
    developmentPath = dirs.runner;
    writeFileSync(join(dirs.runner, 'package.json'), JSON.stringify({
      name: 'aelab-test-runner', publisher: 'aelab-tests', version: '0.0.0', engines: { vscode: '*' },
      description: 'Carries the integration tests; the extension under test is the installed .vsix.',
    }, null, 2));
  }
  // The test bundle is CommonJS: give it a folder with a package.json that says so.
  const testsDir = join(tempRoot, 'tests');
  mkdirSync(testsDir, { recursive: true });
  cpSync(dirname(testsPath), testsDir, { recursive: true });
  writeFileSync(join(testsDir, 'package.json'), '{ "type": "commonjs" }\n');
  const testsModule = join(testsDir, testsPath.slice(dirname(testsPath).length + 1));

  say('starting code-server');
  codeServer = spawn(process.execPath, [entry, ...csArgs, '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--ignore-last-opened'], {
    env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serverLog = [];
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${serverLog.join('')}`)), 30_000);
    const onData = (chunk) => {
      const text = chunk.toString();
      serverLog.push(text);
      const m = /HTTP server listening on (http:\/\/[^\s]+)/.exec(serverLog.join(''));
      if (m) { clearTimeout(timer); resolveUrl(m[1].replace(/\/$/, '')); }
    };
    codeServer.stdout.on('data', onData);
    codeServer.stderr.on('data', onData);
    codeServer.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`code-server exited (${code ?? sig}):\n${serverLog.join('')}`)); });
  });
  codeServer.on('exit', (code, sig) => { if (!cleanupStarted) say(`code-server exited unexpectedly (${code ?? sig})`); });
  say(`code-server at ${url}`);

  // remoteAuthority from the workbench page's configuration.
  const html = await (await fetch(`${url}/`)).text();
  const m = /<meta id="vscode-workbench-web-configuration" data-settings="([^"]*)"/.exec(html);
  if (!m) throw new Error('workbench configuration meta tag not found');
  const authority = JSON.parse(htmlUnescape(m[1])).remoteAuthority;
  if (!authority) throw new Error('no remoteAuthority in workbench configuration');

  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [['extensionDevelopmentPath', remote(developmentPath)], ['extensionTestsPath', remote(testsModule)]];
  const testUrl = `${url}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  const { chromium } = await import('playwright-core');
  say('launching chromium');
  browserContext = await chromium.launchPersistentContext(dirs.profile, {
    executablePath: chromiumPath,
    headless: true,
    env,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const page = browserContext.pages()[0] ?? await browserContext.newPage();

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
    let parts;
    try {
      parts = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => String(a))));
    } catch {
      parts = [msg.text()];
    }
    let fromHost = false;
    if (typeof parts[0] === 'string' && parts[0].startsWith('%c')) {
      fromHost = true;
      parts = parts.slice(2);
    }
    const text = parts.length && typeof parts[0] === 'string' ? format(...parts) : parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
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
  const shutdownOk = await checkShutdown(env.AELAB_TEST_SHUTDOWN_FILE);
  await finish(code === 0 && shutdownOk ? 0 : 1);
}

/**
 * "Closing the window leaves no process behind": a test may leave a run training and name its
 * folder in AELAB_TEST_SHUTDOWN_FILE. Close the window, stop code-server (its extension host
 * deactivates the extension), then no worker may survive and the run folder must be final.
 */
async function checkShutdown(file) {
  if (!existsSync(file)) return true;
  const { runDir, workerPid } = JSON.parse(readFileSync(file, 'utf8'));
  const t = Date.now();
  await Promise.race([browserContext.close().catch(() => {}), sleep(5000)]);
  browserContext = undefined;
  try { process.kill(codeServer.pid, 'SIGTERM'); } catch { /* gone */ }
  const workers = () => taggedPids().filter((p) => p === workerPid || describePid(p).includes('worker.js'));
  const deadline = Date.now() + 10_000;
  while (workers().length && Date.now() < deadline) await sleep(100);
  const left = workers();
  let ok = true;
  if (left.length) {
    say(`FAIL: worker process(es) left after the window closed and the server stopped: ${left.map((p) => `${p} ${describePid(p)}`).join('; ')}`);
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
