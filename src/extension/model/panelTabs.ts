// Whether a webview panel's tab is pinned, from the open tabs (vscode-free, unit-tested). VS Code
// gives a webview tab's viewType a prefix of its own ("mainThreadWebview-aelab.results").

export interface TabInfo {
  label: string;
  isPinned: boolean;
  viewType?: string;
}

export function isPanelTabPinned(tabs: readonly TabInfo[], viewType: string, title: string): boolean {
  return tabs.some((t) => t.isPinned && t.label === title && t.viewType !== undefined && (t.viewType === viewType || t.viewType.endsWith(`-${viewType}`)));
}
