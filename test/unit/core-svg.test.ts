import { strict as assert } from 'node:assert';
import { barChart, histogramChart, lineChart } from '../../src/core/svg/charts';
import { escapeXml, logTicks, niceTicks } from '../../src/core/svg/svgBasics';

describe('SVG charts', () => {
  it('ticks: round steps over the range, powers of ten (or 1-2-5) on a log axis', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0.05, 0.4, 5), [0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(logTicks(1e-4, 1), [1e-4, 1e-3, 1e-2, 1e-1, 1]);
    assert.deepEqual(logTicks(0.0015, 0.053), [0.002, 0.005, 0.01, 0.02, 0.05]);
  });

  it('a line chart draws one polyline per series, a band as a polygon, and escapes text', () => {
    const svg = lineChart({
      title: 'a < b & "c"', xLabel: 'x', yLabel: 'y',
      series: [{ name: 's1', points: [[0, 1], [1, 2], [2, 3]], band: [[0, 0.5, 1.5], [1, 1.5, 2.5], [2, 2.5, 3.5]] }, { name: 's2', points: [[0, 3], [2, 1]] }],
    });
    assert.equal([...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length).join(','), '3,2');
    assert.equal([...svg.matchAll(/<polygon /g)].length, 1);
    assert.ok(svg.includes(`<title>${escapeXml('a < b & "c"')}</title>`));
    assert.ok(!svg.includes('a < b'));
  });

  it('a histogram marks thresholds inside its range only, the chosen one solid', () => {
    const svg = histogramChart({
      title: 'h', edges: [0, 1, 2, 3], normal: [5, 2, 0], anomalous: [0, 1, 4],
      thresholds: [{ label: 'percentile', value: 1.5, chosen: true }, { label: 'fpr', value: 2.5 }, { label: 'outside', value: 9 }],
    });
    assert.equal([...svg.matchAll(/<rect class="normal"/g)].length, 2, 'empty bins draw nothing');
    assert.equal([...svg.matchAll(/<rect class="anomalous"/g)].length, 2);
    const lines = [...svg.matchAll(/<line class="threshold"[^>]*>/g)].map((m) => m[0]);
    assert.equal(lines.length, 2);
    assert.ok(!lines[0].includes('dasharray') && lines[1].includes('dasharray'));
    assert.ok(!svg.includes('>outside<'));
  });

  it('published bars are outlined and labelled as published', () => {
    const svg = barChart({ title: 'b', categories: ['0', '1'], xLabel: 'digit', yLabel: 'AUROC', groups: [{ name: 'measured', values: [90, undefined] }, { name: 'Paper', values: [98, 99], published: true }] });
    assert.equal([...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" (fill="[^"]+" fill-opacity="0.85")/g)].length, 1, 'one measured bar (digit 1 has none)');
    assert.equal([...svg.matchAll(/stroke-dasharray="3 2"/g)].length, 2);
    assert.ok(svg.includes('>Paper (published)<'));
  });
});
