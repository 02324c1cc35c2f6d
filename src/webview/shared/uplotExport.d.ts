// A second instance of uPlot for chart exports (see exportRenderer.ts and webview.esbuild.mjs).
declare module 'uplot-export' {
  import uPlot from 'uplot';
  export default uPlot;
}
