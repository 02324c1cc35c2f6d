// playwright-core lives in test/vscode-host/node_modules (the offline VS Code host installs it);
// the root tree has no types for it, so this file names the few calls the browser tests make.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Box { x: number; y: number; width: number; height: number }

export interface ElementHandle {
  boundingBox(): Promise<Box | null>;
  click(): Promise<void>;
}

export interface Page {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg?: A, options?: { timeout?: number }): Promise<unknown>;
  exposeBinding(name: string, fn: (source: unknown, ...args: unknown[]) => unknown): Promise<void>;
  addInitScript(script: { content: string }): Promise<void>;
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (err: Error) => void): void;
  $(selector: string): Promise<ElementHandle | null>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  keyboard: { press(key: string): Promise<void> };
  mouse: {
    move(x: number, y: number, options?: { steps?: number }): Promise<void>;
    down(): Promise<void>;
    up(): Promise<void>;
    click(x: number, y: number): Promise<void>;
  };
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  close(): Promise<void>;
}

export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface Browser {
  newContext(options?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
}

const MODULE_DIR = path.join(__dirname, '..', 'vscode-host', 'node_modules', 'playwright-core');

export function chromiumPath(): string {
  return process.env.AELAB_CHROMIUM ?? '/usr/bin/chromium';
}

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingPrerequisite(): string | undefined {
  if (!fs.existsSync(MODULE_DIR)) return `${MODULE_DIR} missing: bash scripts/setup-vscode-host.sh installs playwright-core`;
  if (!fs.existsSync(chromiumPath())) return `${chromiumPath()} missing: apt-get install -y chromium (or set AELAB_CHROMIUM)`;
  return undefined;
}

/**
 * A describe block that needs Chromium: where it is missing, the block is a real pending skip
 * locally, and under CI=true a failing test naming what is missing (CI must never pass a browser
 * suite it did not run).
 */
export function describeInChromium(title: string, body: (this: Mocha.Suite) => void): void {
  const missing = missingPrerequisite();
  if (!missing) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('has its prerequisites (CI runs every browser test)', () => {
        throw new Error(`cannot run the browser tests: ${missing}`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${missing})`, body);
  }
}

export async function launchChromium(): Promise<Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pw = require(MODULE_DIR) as PlaywrightCore;
  return pw.chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
  });
}
