// Draws a chart again at device pixel ratio 2 for PNG export, whatever the screen's ratio.
// uPlot reads devicePixelRatio once, when its module loads, and has no option for it; so the
// export loads a second instance of uPlot ('uplot-export': webview.esbuild.mjs bundles a copy of
// uPlot's ES module file under that name) while devicePixelRatio reads 2, on the first export.
// Charts on screen keep the screen's ratio, and their cost.
import type uPlot from 'uplot';

export const EXPORT_PIXEL_RATIO = 2;

let exportUPlot: typeof uPlot | undefined;

async function uPlotAtExportRatio(): Promise<typeof uPlot> {
  if (exportUPlot) return exportUPlot;
  const own = Object.getOwnPropertyDescriptor(window, 'devicePixelRatio');
  Object.defineProperty(window, 'devicePixelRatio', { configurable: true, get: () => EXPORT_PIXEL_RATIO });
  try {
    exportUPlot = (await import('uplot-export')).default;
  } finally {
    if (own) Object.defineProperty(window, 'devicePixelRatio', own);
    else delete (window as { devicePixelRatio?: number }).devicePixelRatio;
  }
  return exportUPlot;
}

/** Calls `draw` with a copy of the chart drawn at ratio 2 (off-screen), then removes the copy. */
export async function withExportCopy<T>(u: uPlot, options: uPlot.Options, draw: (copy: uPlot) => T): Promise<T> {
  if (u.ctx.canvas.width / Math.max(1, u.width) >= EXPORT_PIXEL_RATIO) return draw(u);
  const Plot = await uPlotAtExportRatio();
  const host = document.createElement('div');
  host.className = 'export-offscreen';
  document.body.append(host);
  const copy = new Plot({ ...options, width: u.width, height: u.height }, u.data, host);
  try {
    // uPlot sizes and draws in a microtask; batch() does it now, so the copy can be read at once.
    copy.batch(() => undefined);
    return draw(copy);
  } finally {
    copy.destroy();
    host.remove();
  }
}
