// Writes DIR/report.md, DIR/report.html and DIR/figures/*.svg (+ *.png at 2x). PNGs come from
// @resvg/resvg-js: a prebuilt native rasterizer (no browser, no Cairo), loaded only here and
// only when installed; without it the report is written without PNGs and says so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/runFolder';
import { renderHtml, renderMarkdown } from './reportDocument';
import { DEFAULT_REPORT_OPTIONS, ReportOptions } from './reportOptions';
import { collectReportRuns } from './reportRuns';
import { buildStudyReport } from './studyReport';

export interface WrittenReport {
  markdown: string;
  html: string;
  figures: string[];
  pngs: number;
  runs: number;
  skipped: number;
  /** Why PNGs were not written, when they were asked for and not written. */
  pngProblem?: string;
}

type Rasterize = (svg: string) => Uint8Array;

function loadRasterizer(): Rasterize | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
    return (svg) => {
      const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
      return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
    };
  } catch (err) {
    return `@resvg/resvg-js is not available (${(err as Error).message.split('\n')[0]})`;
  }
}

export function writeReport(targets: string[], outDir: string, runsDir: string, options: ReportOptions = DEFAULT_REPORT_OPTIONS): WrittenReport {
  // Everything is read and built before the first file is written: bad input writes nothing.
  const input = collectReportRuns(targets, runsDir);
  const report = buildStudyReport(input, new Date(), options);
  const rasterize = options.figures === 'svg+png' ? loadRasterizer() : undefined;
  const png = typeof rasterize === 'function';
  const markdown = renderMarkdown(report.blocks, png);
  const html = renderHtml(report.title, report.blocks, png);
  const figuresDir = path.join(outDir, 'figures');
  fs.mkdirSync(figuresDir, { recursive: true });
  let pngs = 0;
  for (const f of report.figures) {
    writeFileAtomic(path.join(figuresDir, `${f.id}.svg`), f.svg);
    if (typeof rasterize === 'function') {
      writeFileAtomic(path.join(figuresDir, `${f.id}.png`), rasterize(f.svg));
      pngs++;
    }
  }
  writeFileAtomic(path.join(outDir, 'report.md'), markdown);
  writeFileAtomic(path.join(outDir, 'report.html'), html);
  return {
    markdown: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html'), figures: report.figures.map((f) => path.join(figuresDir, `${f.id}.svg`)),
    pngs, runs: input.runs.length, skipped: input.skipped.length, pngProblem: typeof rasterize === 'string' ? rasterize : undefined,
  };
}
