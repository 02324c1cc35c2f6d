// Entry of dist/webview/score.js: the Score panel (plain controls, no toolkit components).
import { startScorePanel } from './index.js';

startScorePanel();
