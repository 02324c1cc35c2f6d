// Shared pieces of the offline real-VS-Code runners (test/vscode-host/run.mjs: mocha inside the
// extension host; test/e2e/run.mjs: the UI end-to-end test). One VscodeHost per run:
//
//   const host = new VscodeHost({ name: 'vscode-host' });
//   host.prepare({ workspace, env, settings, extraDirs });   // temp HOME, user-data, extensions...
//   host.installVsix(file);                                   // code-server --install-extension
//   const url = await host.startServer();                     // code-server on a free port
//   const authority = await host.remoteAuthority();           // for vscode-remote:// URIs
//   const { page } = await host.launchChromium();             // headless Debian chromium
//   ...
//   await host.cleanup();                                     // browser, server, every tagged process
//
// Everything the host starts carries AELAB_HOST_TAG=<unique tag> in its environment (code-server,
// the extension host, engine workers, chromium): cleanup() finds them through /proc even after
// they were re-parented to init.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

export const hostDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(hostDir, '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** --help of a runner script: its leading // comment lines. Exits. */
export function printHeaderHelp(scriptUrl) {
  const text = readFileSync(fileURLToPath(scriptUrl), 'utf8');
  process.stdout.write(text.split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}

/** Settings of every fresh user-data folder (quiet, offline, no trust prompt). */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'files.watcherExclude': { '**/node_modules/**': true },
};

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export function chromiumPath() {
  return process.env.AELAB_CHROMIUM ?? '/usr/bin/chromium';
}

export function codeServerEntry() {
  const entry = join(hostDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error('code-server is not installed in test/vscode-host: run scripts/setup-vscode-host.sh');
  }
  return entry;
}

export function htmlUnescape(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The text of a workbench console message. Messages relayed from the extension host arrive as
 * '%c LEVEL', a CSS string, then the format arguments: `fromHost` says so, and the prefix is dropped.
 */
export async function consoleText(msg) {
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
  return { text, fromHost };
}

export class VscodeHost {
  /**
   * @param {{ name?: string, t0?: number, keep?: boolean }} options name prefixes the log lines,
   *   the tag and the temp folder; t0 is the start of the elapsed times in the log; keep leaves
   *   the temp folder behind.
   */
  constructor({ name = 'vscode-host', t0 = Date.now(), keep = false } = {}) {
    this.name = name;
    this.t0 = t0;
    this.keep = keep;
    this.tag = `aelab-${name}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.tempRoot = undefined;
    this.dirs = undefined;
    this.env = undefined;
    this.server = undefined;
    this.serverLog = [];
    this.url = undefined;
    this.context = undefined;
    this.cleanupStarted = false;
  }

  elapsed() {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }

  say(msg) {
    process.stderr.write(`[${this.name} ${this.elapsed()}] ${msg}\n`);
  }

  // ---- process bookkeeping

  taggedPids() {
    const pids = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      try {
        const env = readFileSync(`/proc/${name}/environ`, 'latin1');
        if (env.includes(`AELAB_HOST_TAG=${this.tag}\0`)) pids.push(pid);
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }

  describePid(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 160);
    } catch {
      return '?';
    }
  }

  killPids(pids, signal) {
    for (const pid of pids) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
  }

  // ---- set-up

  /**
   * Creates the temp folder (home, user-data, extensions, chromium-profile, workspace, logs, plus
   * `extraDirs`: key -> folder name), copies `workspace` into it, writes the settings (BASE_SETTINGS
   * + `settings`) and code-server's config, and builds the environment of everything started
   * later (`env`, an object or a function of the folders returning one, is added to it).
   */
  prepare({ workspace, env = {}, settings = {}, extraDirs = {} } = {}) {
    this.tempRoot = mkdtempSync(join(tmpdir(), `aelab-${this.name}-`));
    const dirs = {
      home: join(this.tempRoot, 'home'),
      userData: join(this.tempRoot, 'user-data'),
      extensions: join(this.tempRoot, 'extensions'),
      profile: join(this.tempRoot, 'chromium-profile'),
      workspace: join(this.tempRoot, 'workspace'),
      logs: join(this.tempRoot, 'logs'),
    };
    for (const [key, name] of Object.entries(extraDirs)) dirs[key] = join(this.tempRoot, name);
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    this.dirs = dirs;
    if (workspace && existsSync(workspace)) cpSync(workspace, dirs.workspace, { recursive: true });
    mkdirSync(join(dirs.userData, 'User'), { recursive: true });
    writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...settings }, null, 2));
    writeFileSync(join(this.tempRoot, 'config.yaml'), 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

    const full = {
      ...process.env,
      AELAB_HOST_TAG: this.tag,
      HOME: dirs.home,
      XDG_CONFIG_HOME: join(dirs.home, '.config'),
      XDG_DATA_HOME: join(dirs.home, '.local', 'share'),
      XDG_CACHE_HOME: join(dirs.home, '.cache'),
      XDG_RUNTIME_DIR: join(dirs.home, '.runtime'),
      EXTENSIONS_GALLERY: '{"serviceUrl":""}',
      ...(typeof env === 'function' ? env(dirs) : env),
    };
    delete full.VSCODE_IPC_HOOK_CLI;
    delete full.ELECTRON_RUN_AS_NODE;
    delete full.NODE_OPTIONS;
    mkdirSync(full.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
    this.env = full;
    return { dirs, env: full };
  }

  /** code-server's arguments that pin it to the temp folders. */
  serverArgs() {
    return [
      '--user-data-dir', this.dirs.userData,
      '--extensions-dir', this.dirs.extensions,
      '--config', join(this.tempRoot, 'config.yaml'),
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    ];
  }

  /** Installs a .vsix into the fresh extensions folder (code-server --install-extension). */
  installVsix(vsix) {
    this.say(`installing ${vsix}`);
    const out = execFileSync(process.execPath, [codeServerEntry(), ...this.serverArgs(), '--install-extension', vsix], { env: this.env, encoding: 'utf8', timeout: 120_000 });
    for (const line of out.split('\n').filter(Boolean)) this.say(`  ${line}`);
    return out;
  }

  /** Starts code-server in its own process group on a free port; resolves to its base URL. */
  async startServer() {
    this.say('starting code-server');
    const server = spawn(process.execPath, [codeServerEntry(), ...this.serverArgs(), '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--ignore-last-opened'], {
      env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = server;
    const serverLog = this.serverLog;
    const url = await new Promise((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${serverLog.join('')}`)), 30_000);
      const onData = (chunk) => {
        const text = chunk.toString();
        serverLog.push(text);
        const m = /HTTP server listening on (http:\/\/[^\s]+)/.exec(serverLog.join(''));
        if (m) { clearTimeout(timer); resolveUrl(m[1].replace(/\/$/, '')); }
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`code-server exited (${code ?? sig}):\n${serverLog.join('')}`)); });
    });
    server.on('exit', (code, sig) => { if (!this.cleanupStarted) this.say(`code-server exited unexpectedly (${code ?? sig})`); });
    this.url = url;
    this.say(`code-server at ${url}`);
    return url;
  }

  /** remoteAuthority from the workbench page's configuration (for vscode-remote:// URIs). */
  async remoteAuthority() {
    const html = await (await fetch(`${this.url}/`)).text();
    const m = /<meta id="vscode-workbench-web-configuration" data-settings="([^"]*)"/.exec(html);
    if (!m) throw new Error('workbench configuration meta tag not found');
    const authority = JSON.parse(htmlUnescape(m[1])).remoteAuthority;
    if (!authority) throw new Error('no remoteAuthority in workbench configuration');
    return authority;
  }

  /** Headless Debian chromium with a fresh profile, tagged like everything else. */
  async launchChromium({ viewport = { width: 1280, height: 900 } } = {}) {
    const executablePath = chromiumPath();
    if (!existsSync(executablePath)) throw new Error(`${executablePath} missing: apt-get install -y chromium (or set AELAB_CHROMIUM)`);
    const { chromium } = await import('playwright-core');
    this.say('launching chromium');
    this.context = await chromium.launchPersistentContext(this.dirs.profile, {
      executablePath,
      headless: true,
      env: this.env,
      args: CHROMIUM_ARGS,
      viewport,
      // Playwright's own Ctrl-C handler closes the browser and exits at once (130), before the
      // runner's cleanup stops code-server: the runners handle the signals themselves.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const page = this.context.pages()[0] ?? await this.context.newPage();
    return { context: this.context, page };
  }

  async closeBrowser() {
    const context = this.context;
    this.context = undefined;
    if (context) await Promise.race([context.close().catch(() => {}), sleep(5000)]);
  }

  // ---- tear-down

  /** Closes the browser, stops code-server (its process group), then kills anything still tagged. */
  async cleanup() {
    if (this.cleanupStarted) return;
    this.cleanupStarted = true;
    await this.closeBrowser();
    const server = this.server;
    if (server && server.exitCode === null) {
      try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
      const deadline = Date.now() + 3000;
      while (server.exitCode === null && server.signalCode === null && Date.now() < deadline) await sleep(50);
    }
    // Give processes that were told to stop (extension host -> workers) a moment, then force.
    let left = this.taggedPids();
    if (left.length) {
      this.killPids(left, 'SIGTERM');
      const deadline = Date.now() + 2000;
      while ((left = this.taggedPids()).length && Date.now() < deadline) await sleep(100);
      if (left.length) {
        this.say(`killing ${left.length} leftover process(es): ${left.map((p) => `${p} ${this.describePid(p)}`).join('; ')}`);
        this.killPids(left, 'SIGKILL');
      }
    }
    if (this.tempRoot && !this.keep) {
      try { rmSync(this.tempRoot, { recursive: true, force: true }); } catch { /* best effort */ }
    } else if (this.tempRoot) {
      this.say(`kept ${this.tempRoot}`);
    }
  }
}
