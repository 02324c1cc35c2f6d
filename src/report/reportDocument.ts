// A report as a list of blocks, rendered twice: Markdown (figures beside it as SVG + PNG) and a
// self-contained HTML page (figures inline as data: URIs; a CSP that allows nothing else).
import { createHash } from 'node:crypto';
import { escapeXml } from '../core/svg/svgBasics';
import { toMarkdown } from '../core/study/tableExport';
import type { ShownTable } from '../core/study/studyTable';
import type { Figure } from './runFigures';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: 'paragraph'; text: string; className?: string }
  | { kind: 'table'; table: ShownTable; /** Raw numbers behind the cells (tests compare them with summary.json). */ values?: (number | undefined)[][]; highlight?: boolean[][] }
  | { kind: 'figure'; figure: Figure };

/** `png`: whether figures/*.png are written beside the SVGs (links to them only then). */
export function renderMarkdown(blocks: readonly Block[], png = true): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading': out.push(`${'#'.repeat(b.level)} ${b.text}`); break;
      case 'paragraph': out.push(b.text); break;
      case 'table': out.push(toMarkdown(b.table).trimEnd()); break;
      case 'figure': out.push(`![${b.figure.title}](figures/${b.figure.id}.svg)${png ? `\n\n[SVG](figures/${b.figure.id}.svg) · [PNG 2x](figures/${b.figure.id}.png)` : ''}`); break;
    }
  }
  return out.join('\n\n') + '\n';
}

const STYLE = `body{font-family:system-ui,'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:13px;display:block;max-width:100%;overflow-x:auto}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.changed{background:#fff3c4}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:13px;color:#555}
p.missing{color:#8a4b00}p.published{font-size:13px;color:#555}`;

function inlineText(text: string): string {
  // The Markdown we write uses **bold** and `code` only.
  return escapeXml(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');
}

export function renderHtml(title: string, blocks: readonly Block[], png = true): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading': body.push(`<h${b.level}${b.id ? ` id="${escapeXml(b.id)}"` : ''}>${escapeXml(b.text)}</h${b.level}>`); break;
      case 'paragraph': body.push(`<p${b.className ? ` class="${b.className}"` : ''}>${inlineText(b.text)}</p>`); break;
      case 'table': {
        const head = `<tr>${b.table.columns.map((c) => `<th data-key="${escapeXml(c.key)}">${escapeXml(c.label)}</th>`).join('')}</tr>`;
        const rows = b.table.cells.map((row, r) => `<tr data-runs="${escapeXml(b.table.rows[r]?.runIds.join(' ') ?? '')}">${row.map((text, c) => {
          const column = b.table.columns[c];
          const value = b.values?.[r]?.[c];
          const classes = [column.kind === 'metric' || column.kind === 'count' ? 'num' : '', b.highlight?.[r]?.[c] ? 'changed' : ''].filter(Boolean).join(' ');
          return `<td${classes ? ` class="${classes}"` : ''} data-key="${escapeXml(column.key)}"${value !== undefined ? ` data-value="${value}"` : ''}>${escapeXml(text)}</td>`;
        }).join('')}</tr>`);
        body.push(`<table>${head}${rows.join('')}</table>`);
        break;
      }
      case 'figure': {
        const f = b.figure;
        body.push(`<figure id="fig-${escapeXml(f.id)}"><img alt="${escapeXml(f.title)}" src="data:image/svg+xml;base64,${Buffer.from(f.svg).toString('base64')}">`
          + `<figcaption>${escapeXml(f.title)} (<a href="figures/${escapeXml(f.id)}.svg">SVG</a>${png ? `, <a href="figures/${escapeXml(f.id)}.png">PNG 2x</a>` : ''})</figcaption></figure>`);
        break;
      }
    }
  }
  // Nothing runs and nothing loads from elsewhere: images are data: URIs, the one style block is pinned by hash.
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  const csp = `default-src 'none'; img-src data:; style-src 'sha256-${styleHash}'`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">`
    + `<meta http-equiv="Content-Security-Policy" content="${csp}">`
    + `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>\n<body>\n${body.join('\n')}\n</body></html>\n`;
}
