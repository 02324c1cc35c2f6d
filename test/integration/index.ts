// extensionTestsPath module: the workbench calls run() inside the extension host; resolving
// means pass, rejecting means fail. Suites are required after mocha has installed its globals.
import * as fs from 'node:fs';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // Stack traces point into the .ts sources (the bundle carries an inline source map).
  (process as { setSourceMapsEnabled?: (on: boolean) => void }).setSourceMapsEnabled?.(true);
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.AELAB_TEST_GREP;
  if (grep) mocha.grep(grep);
  mocha.suite.emit('pre-require', globalThis, 'integration', mocha);
  // Imported only now (esbuild keeps each bundled module's body until it is imported), after
  // mocha has put describe/it on the global object.
  await import('./activation.test.js');
  await import('./tree.test.js');
  await import('./diagnostics.test.js');
  await import('./commands.test.js');
  await import('./panels.test.js');
  await import('./train.test.js');
  await import('./sweep.test.js');
  await import('./score.test.js');

  console.log('AELAB-TESTS-BEGIN');
  const started = Date.now();
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('end', () => {
      const file = process.env.AELAB_TEST_RESULT_FILE;
      if (file) {
        const s = runner.stats;
        fs.writeFileSync(file, JSON.stringify({ passes: s?.passes ?? 0, failures: s?.failures ?? 0, pending: s?.pending ?? 0, durationMs: Date.now() - started }));
      }
    });
  });
  console.log('AELAB-TESTS-END');
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
