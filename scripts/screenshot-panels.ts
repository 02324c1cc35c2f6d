// Screenshots of the Results panel of a run and the Compare panel of several runs, rendered by
// the same webview bundles and loaders the extension uses (test/browser/harness.ts), for docs.
//   npx tsx scripts/screenshot-panels.ts OUT_DIR RESULTS_RUN_DIR [COMPARE_RUN_DIR...]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildWebviewBundles, openPanel, startPanelServer, waitRendered } from '../test/browser/harness';
import { launchChromium } from '../test/browser/playwright';

async function main(): Promise<void> {
  const [outDir, resultsRun, ...compareRuns] = process.argv.slice(2);
  if (!outDir || !resultsRun) throw new Error('usage: screenshot-panels.ts OUT_DIR RESULTS_RUN_DIR [COMPARE_RUN_DIR...]');
  fs.mkdirSync(outDir, { recursive: true });
  await buildWebviewBundles();
  const server = await startPanelServer();
  const browser = await launchChromium();
  try {
    const results = await openPanel(browser, server, 'results', [path.resolve(resultsRun)]);
    await waitRendered(results.page);
    await new Promise((r) => setTimeout(r, 1500)); // sample images arrive after the first render
    await results.page.screenshot({ path: path.join(outDir, 'results-panel.png'), fullPage: true });
    if (compareRuns.length >= 2) {
      const compare = await openPanel(browser, server, 'compare', compareRuns.map((d) => path.resolve(d)));
      await waitRendered(compare.page);
      await new Promise((r) => setTimeout(r, 500));
      await compare.page.screenshot({ path: path.join(outDir, 'compare-panel.png'), fullPage: true });
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
