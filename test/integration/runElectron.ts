// The ecosystem's default runner, for people with a network: @vscode/test-electron downloads a
// desktop VS Code build and runs the same integration tests in it. Not used in CI here (offline:
// the download fails); CI uses test/vscode-host/run.mjs (code-server + headless Chromium).
//
//   npm run test:electron [-- --vscode-version 1.100.3]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  const tests = path.join(repo, 'out', 'integration-tests', 'index.js');
  if (!fs.existsSync(tests)) throw new Error(`${tests} missing: run node test/vscode-host/build-tests.mjs`);
  const versionAt = process.argv.indexOf('--vscode-version');
  const version = versionAt > 0 ? process.argv[versionAt + 1] : '1.100.3';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-electron-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(repo, 'test', 'integration', 'workspace-fixture'), workspace, { recursive: true });
  try {
    await runTests({
      version,
      extensionDevelopmentPath: repo,
      extensionTestsPath: tests,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(tmp, 'user-data')}`],
      extensionTestsEnv: { AELAB_TEST_MODE: 'dev', AELAB_TEST_REPO: repo, AELAB_TEST_GREP: process.env.AELAB_TEST_GREP },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
