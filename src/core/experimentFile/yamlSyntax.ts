// YAML syntax errors in plain words: what is wrong and what to type, at the line the user has to
// change (the parser often reports the line above, or the end of the file). Reads the parser's
// error code and position plus the lines around it; anything not recognised keeps the parser's
// own words.
import type { YAMLError } from 'yaml';
import type { Span } from './locate';

export interface SyntaxExplanation {
  span: Span;
  message: string;
}

interface Line {
  /** 0-based. */
  index: number;
  start: number;
  text: string;
  indent: number;
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const t = raw.replace(/\r$/, '');
    out.push({ index, start, text: t, indent: t.length - t.trimStart().length });
    start += raw.length + 1;
  });
  return out;
}

const isContent = (l: Line | undefined): l is Line => l !== undefined && l.text.trim() !== '' && !l.text.trimStart().startsWith('#');

function lineAt(lines: Line[], offset: number): Line {
  let found = lines[0];
  for (const l of lines) {
    if (l.start > offset) break;
    found = l;
  }
  return found;
}

function nextContent(lines: Line[], after: number): Line | undefined {
  for (let i = after + 1; i < lines.length; i++) if (isContent(lines[i])) return lines[i];
  return undefined;
}

function previousContent(lines: Line[], before: number): Line | undefined {
  for (let i = before - 1; i >= 0; i--) if (isContent(lines[i])) return lines[i];
  return undefined;
}

const whole = (l: Line): Span => [l.start + l.indent, l.start + l.text.length];
/** `key:value` with no space after the colon (not a URL-like `a://b`). */
const NO_SPACE = /^(\s*)([A-Za-z_][\w.-]*):([^\s/:][^#]*?)\s*(#.*)?$/;
/** `key value` with no colon at all. */
const NO_COLON = /^(\s*)([A-Za-z_][\w-]*)\s+([^\s:#][^:#]*?)\s*(#.*)?$/;

/** A `key:value` line missing its space, in the lines from..to (inclusive). */
function missingSpace(lines: Line[], from: number, to: number): SyntaxExplanation | undefined {
  for (let i = from; i <= to && i < lines.length; i++) {
    const m = NO_SPACE.exec(lines[i].text);
    if (!m || !isContent(lines[i])) continue;
    const [, , key, value] = m;
    return {
      span: whole(lines[i]),
      message: `"${key}:${value}" is read as plain text, not as a key and its value: add a space after the colon (${key}: ${value})`,
    };
  }
  return undefined;
}

function missingColon(lines: Line[], from: number, to: number): SyntaxExplanation | undefined {
  for (let i = from; i <= to && i < lines.length; i++) {
    const m = NO_COLON.exec(lines[i].text);
    if (!m || !isContent(lines[i]) || lines[i].text.trimStart().startsWith('-')) continue;
    const [, , key, value] = m;
    return { span: whole(lines[i]), message: `"${key} ${value}" has no colon: write a key, a colon and a space before the value (${key}: ${value})` };
  }
  return undefined;
}

/** A line indented deeper than the key above it, which already has a value on its line. */
function overIndented(lines: Line[], errorLine: Line): SyntaxExplanation | undefined {
  const next = nextContent(lines, errorLine.index);
  if (!next || next.indent <= errorLine.indent) return undefined;
  const above = /^\s*([A-Za-z_][\w-]*):\s+\S/.exec(errorLine.text);
  if (!above) return undefined;
  const extra = next.indent - errorLine.indent;
  return {
    span: whole(next),
    message: `this line is indented ${extra} space${extra === 1 ? '' : 's'} more than "${above[1]}" above it, which already has a value: remove ${extra === 1 ? 'the extra space' : `${extra} spaces`} so it lines up with "${above[1]}"`,
  };
}

/** The last `[` or `{` before `offset` left open (comments skipped; brackets inside quotes are rare enough here). */
function unclosedBracket(text: string, offset: number): { at: number; open: string } | undefined {
  const stack: { at: number; open: string }[] = [];
  for (let i = 0; i < Math.min(offset + 1, text.length); i++) {
    const c = text[i];
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') stack.push({ at: i, open: c });
    else if ((c === ']' || c === '}') && stack.length > 0) stack.pop();
  }
  return stack.pop();
}

/** The line whose quote is never closed: the first with an odd number of unescaped `"` (or `'`). */
function unclosedQuote(lines: Line[], quote: string, upTo: number): { line: Line; column: number } | undefined {
  for (const l of lines) {
    if (l.start > upTo) break;
    const body = l.text.replace(/#.*$/, '');
    const positions: number[] = [];
    for (let i = 0; i < body.length; i++) {
      if (body[i] === quote && (quote !== '"' || body[i - 1] !== '\\')) positions.push(i);
    }
    if (positions.length % 2 === 1) return { line: l, column: positions[positions.length - 1] };
  }
  return undefined;
}

export function explainSyntaxError(text: string, e: YAMLError): SyntaxExplanation | undefined {
  const lines = linesOf(text);
  const [start, end] = e.pos;
  const first = lineAt(lines, start);
  const last = lineAt(lines, Math.max(start, end - 1));
  switch (e.code) {
    case 'MULTILINE_IMPLICIT_KEY':
    case 'MISSING_CHAR':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'UNEXPECTED_TOKEN': {
      const quote = /closing (["'])/.exec(e.message)?.[1] ?? (/closing "?quote/i.test(e.message) ? '"' : undefined);
      if (e.code === 'MISSING_CHAR' && quote) {
        const open = unclosedQuote(lines, quote, start);
        if (open) {
          const at = open.line.start + open.column;
          return { span: [at, at + 1], message: `the value quoted with ${quote} here is never closed: add the closing ${quote} at the end of the value (the rest of the file is read as part of it)` };
        }
      }
      const explained = missingSpace(lines, first.index, last.index) ?? (e.code === 'BLOCK_AS_IMPLICIT_KEY' || e.code === 'MULTILINE_IMPLICIT_KEY' ? overIndented(lines, first) : undefined)
        ?? missingColon(lines, first.index, last.index);
      if (explained) return explained;
      if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
        const m = /^\s*([A-Za-z_][\w-]*):\s+(.+)$/.exec(first.text);
        if (m) return { span: whole(first), message: `"${m[2].trim()}" after "${m[1]}:" is itself a key and a value: put it on its own line below "${m[1]}:", indented by 2 spaces` };
      }
      if (first.text.trimStart().startsWith('-')) {
        return { span: whole(first), message: 'a list item ("- ...") here, where the lines around it are keys: indent it under the key it belongs to (a "key:" line, then "  - item" lines), or write it as "key: value"' };
      }
      return undefined;
    }
    case 'BAD_INDENT': {
      if (/flow (sequence|mapping)/i.test(e.message)) {
        const open = unclosedBracket(text, start);
        if (open) {
          const close = open.open === '[' ? ']' : '}';
          return { span: [open.at, open.at + 1], message: `the ${open.open === '[' ? 'list' : 'mapping'} opened with "${open.open}" here is not closed: add "${close}" at its end (on this line)` };
        }
      }
      const previous = previousContent(lines, first.index);
      const sibling = previous && previous.indent > first.indent ? previous : undefined;
      return {
        span: whole(first),
        message: sibling
          ? `this key starts at column ${first.indent + 1}, but the keys of the mapping above start at column ${sibling.indent + 1}: indent it to line up with them (or to column 1 if it belongs at the top level)`
          : `this line's indentation does not match the keys around it: every key of one mapping must start at the same column`,
      };
    }
    case 'TAB_AS_INDENT':
      return { span: [first.start, first.start + first.indent], message: 'this line is indented with a tab: YAML indents with spaces only (replace the tab with spaces, 2 per level)' };
    default:
      return undefined;
  }
}

/** `name:a` alone in a file is one plain value, not a mapping: the same missing space. */
export function scalarLooksLikeKey(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([A-Za-z_][\w-]*):(\S.*)$/.exec(value.split('\n')[0]);
  return m ? `"${m[1]}:${m[2]}" is read as plain text: add a space after the colon (${m[1]}: ${m[2]})` : undefined;
}
