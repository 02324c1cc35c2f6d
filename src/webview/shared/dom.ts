// Tiny DOM builder: enough structure for the panels without a framework.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'number' ? String(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Sets text only when it changed (the per-frame metric updates touch the DOM as little as possible). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** The value of a toolkit control (vscode-dropdown, vscode-text-field). */
export function controlValue(el: Element): string {
  return String((el as unknown as { value?: unknown }).value ?? '');
}

export function setControlValue(el: Element, value: string): void {
  (el as unknown as { value: string }).value = value;
}

/** Whether a vscode-checkbox is checked. */
export function controlChecked(el: Element): boolean {
  return Boolean((el as unknown as { checked?: unknown }).checked);
}

/** Shows a host notice in the panel's #notice bar (every panel has one). */
export function showNotice(text: string, level: 'info' | 'error'): void {
  const bar = document.getElementById('notice');
  if (!bar) return;
  bar.textContent = text;
  bar.className = `notice ${level}`;
}

/** An RGBA image as a canvas of its own size (CSS scales it); `plane` names it for styles and tests. */
export function pixelCanvas(rgba: Uint8ClampedArray, width: number, height: number, plane: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.className = 'pixels';
  canvas.dataset.plane = plane;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return canvas;
}
