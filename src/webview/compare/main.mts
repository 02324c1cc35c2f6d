// Entry of dist/webview/compare.js. An ES module (.mts) so the toolkit's named imports are static
// and esbuild drops the components the panel does not use. Components are registered before
// the panel creates any, so properties set on them reach the real elements.
import { registerToolkit } from '../shared/toolkit.mjs';
import { startComparePanel } from './index.js';

registerToolkit();
startComparePanel();
