// A screenshot of a generated report.html in headless Chromium, scrolled to one of its sections,
// for the README. Fails if an image does not load or the page logs an error.
//   npx tsx scripts/screenshot-report.ts REPORT_HTML OUT_PNG [SECTION_ID] [WIDTHxHEIGHT]
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/browser/playwright';

async function main(): Promise<void> {
  const [html, out, section, size = '1100x1500'] = process.argv.slice(2);
  if (!html || !out) throw new Error('usage: screenshot-report.ts REPORT_HTML OUT_PNG [SECTION_ID] [WIDTHxHEIGHT]');
  const [width, height] = size.split('x').map(Number);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(path.resolve(html)).href + (section ? `#${section}` : ''));
    await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
    const broken = await page.evaluate(() => Array.from(document.images).filter((img) => img.naturalWidth === 0).map((img) => img.alt));
    if (broken.length || problems.length) throw new Error(`report.html did not render cleanly: ${[...broken, ...problems].join('; ')}`);
    await page.screenshot({ path: out });
    await context.close();
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
