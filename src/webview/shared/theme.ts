// VS Code theme colours for canvas drawing. VS Code sets --vscode-* variables on <html> and a
// vscode-light / vscode-dark / vscode-high-contrast class on <body>; canvases cannot use CSS
// variables, so charts read the values here and rebuild when the theme changes.

export interface ThemeColors {
  foreground: string;
  background: string;
  grid: string;
  font: string;
  normal: string;
  anomalous: string;
  train: string;
  validation: string;
  threshold: string;
  accent: string;
  /** Distinct series colours (compare panel, strategy markers). */
  palette: string[];
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const short = /^#([0-9a-f]{3})$/i.exec(color);
  if (short) {
    const [r, g, b] = short[1].split('').map((c) => parseInt(c + c, 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/.exec(color);
  if (rgb) {
    const [r, g, b] = rgb[1].split(',').map((s) => s.trim());
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color;
}

export { withAlpha };

function sameColor(a: string, b: string): boolean {
  return a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
}

/** The first candidate that differs from `taken`: themes such as Light High Contrast give several chart colours one value. */
export function distinctColor(taken: readonly string[], candidates: readonly string[]): string {
  return candidates.find((c) => !taken.some((t) => sameColor(t, c))) ?? candidates[0];
}

export function readTheme(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const foreground = cssVar(style, '--vscode-editor-foreground', cssVar(style, '--vscode-foreground', '#cccccc'));
  const blue = cssVar(style, '--vscode-charts-blue', '#3794ff');
  const red = cssVar(style, '--vscode-charts-red', '#f14c4c');
  const green = cssVar(style, '--vscode-charts-green', '#89d185');
  const yellow = cssVar(style, '--vscode-charts-yellow', '#cca700');
  const orange = cssVar(style, '--vscode-charts-orange', '#d18616');
  const purple = cssVar(style, '--vscode-charts-purple', '#b180d7');
  const family = cssVar(style, '--vscode-font-family', 'system-ui, sans-serif');
  const size = cssVar(style, '--vscode-font-size', '13px');
  return {
    foreground,
    background: cssVar(style, '--vscode-editor-background', '#1e1e1e'),
    grid: withAlpha(foreground, 0.12),
    font: `${parseInt(size, 10) - 2 || 11}px ${family}`,
    normal: blue,
    anomalous: distinctColor([blue], [red, orange, purple, foreground]),
    train: blue,
    validation: distinctColor([blue], [orange, red, purple, green, foreground]),
    threshold: cssVar(style, '--vscode-focusBorder', yellow),
    accent: yellow,
    palette: [blue, red, green, orange, purple, yellow, '#4ec9b0', '#ce9178', '#9cdcfe', '#c586c0'],
  };
}

/** Calls back when VS Code switches theme (body class or --vscode-* values change). */
export function onThemeChange(callback: () => void): void {
  let last = JSON.stringify(readTheme());
  const check = () => {
    const now = JSON.stringify(readTheme());
    if (now !== last) {
      last = now;
      callback();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}
