// Entry of dist/webview/study.js: the Study panel (plain controls, no toolkit components).
import { startStudyPanel } from './index.js';

startStudyPanel();
