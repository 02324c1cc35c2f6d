// CSV (RFC 4180), Markdown and LaTeX of exactly the cells a shown table holds.
import type { ShownTable } from './studyTable';

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(table: ShownTable): string {
  const lines = [table.columns.map((c) => csvField(c.label)), ...table.cells.map((row) => row.map(csvField))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}

function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function toMarkdown(table: ShownTable): string {
  const align = table.columns.map((c) => (c.kind === 'metric' || c.kind === 'count' ? '---:' : '---'));
  const lines = [
    `| ${table.columns.map((c) => mdCell(c.label)).join(' | ')} |`,
    `|${align.join('|')}|`,
    ...table.cells.map((row) => `| ${row.map(mdCell).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

const LATEX_SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}',
  '~': '\\textasciitilde{}', '^': '\\textasciicircum{}', '±': '$\\pm$',
};

export function latexEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^±]/g, (c) => LATEX_SPECIAL[c]);
}

export function toLatex(table: ShownTable): string {
  const spec = table.columns.map((c) => (c.kind === 'metric' || c.kind === 'count' ? 'r' : 'l')).join('');
  return [
    `\\begin{tabular}{${spec}}`,
    '\\hline',
    `${table.columns.map((c) => latexEscape(c.label)).join(' & ')} \\\\`,
    '\\hline',
    ...table.cells.map((row) => `${row.map(latexEscape).join(' & ')} \\\\`),
    '\\hline',
    '\\end{tabular}',
  ].join('\n') + '\n';
}
