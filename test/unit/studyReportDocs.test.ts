// The committed study report (docs/study-report/) is whole and linked: every figure report.md
// names is there and nothing else is, it stays small enough to commit, and the README's and
// STUDY.md's links to it (and their other local links) resolve.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const REPORT = path.join(ROOT, 'docs', 'study-report');

/** Local link targets of a Markdown file ([text](target) and ![alt](target)), resolved, anchors dropped. */
function localLinks(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
    .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
    .map((t) => path.resolve(path.dirname(file), t.split('#')[0]));
}

describe('the committed study report', () => {
  it('has every figure report.md names, no other file, and stays under 5 MB', () => {
    const md = fs.readFileSync(path.join(REPORT, 'report.md'), 'utf8');
    const named = [...md.matchAll(/\]\(figures\/([^)]+)\)/g)].map((m) => m[1]);
    const present = fs.readdirSync(path.join(REPORT, 'figures'));
    assert.ok(named.length > 100, `a study's worth of figures, got ${named.length}`);
    assert.deepEqual([...new Set(named)].sort(), [...present].sort());
    const html = fs.readFileSync(path.join(REPORT, 'report.html'), 'utf8');
    assert.equal(html.match(/<img /g)?.length, named.length, 'report.html inlines the same figures');
    const bytes = [path.join(REPORT, 'report.md'), path.join(REPORT, 'report.html'), ...present.map((f) => path.join(REPORT, 'figures', f))]
      .reduce((n, f) => n + fs.statSync(f).size, 0);
    assert.ok(bytes < 5e6, `${bytes} bytes`);
  });

  it('is linked from STUDY.md and the README, whose local links all resolve', () => {
    for (const doc of ['README.md', path.join('docs', 'STUDY.md')]) {
      const links = localLinks(path.join(ROOT, doc));
      assert.ok(links.includes(path.join(REPORT, 'report.md')), `${doc} links the study report`);
      for (const target of links) assert.ok(fs.existsSync(target), `${doc}: ${path.relative(ROOT, target)} exists`);
    }
    assert.ok(localLinks(path.join(ROOT, 'README.md')).some((t) => t.endsWith('.png') && t.includes('study-report')), 'README shows a page of it');
  });
});
