import { strict as assert } from 'node:assert';
import { binOf, histogram, histogramEdges, indicesInBin } from '../../src/core/histogram';
import { Rng } from '../../src/core/rng';

describe('core/histogram', () => {
  it('bins over the score range; the last bin includes the maximum', () => {
    const scores = [0, 0.25, 0.5, 0.75, 1];
    const labels = [0, 0, 1, 1, 1];
    const h = histogram(scores, labels, { bins: 4 });
    assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.normal, [1, 1, 0, 0]);
    assert.deepEqual(h.anomalous, [0, 0, 1, 2]);
  });

  it('binOf: lower edges belong to their bin, out-of-range and NaN to none', () => {
    const edges = [0, 0.25, 0.5, 0.75, 1];
    assert.equal(binOf(0, edges), 0);
    assert.equal(binOf(0.2499, edges), 0);
    assert.equal(binOf(0.25, edges), 1);
    assert.equal(binOf(0.75, edges), 3);
    assert.equal(binOf(1, edges), 3);
    assert.equal(binOf(-1e-9, edges), -1);
    assert.equal(binOf(1.0000001, edges), -1);
    assert.equal(binOf(NaN, edges), -1);
  });

  it('explicit min and max leave outside scores uncounted', () => {
    const h = histogram([-1, 0, 1, 2, 3, 4, 5], [1, 0, 0, 1, 0, 1, 0], { bins: 2, min: 0, max: 4 });
    assert.deepEqual(h.edges, [0, 2, 4]);
    // -1 and 5 are outside; bin 0 = [0, 2) holds 0 and 1, bin 1 = [2, 4] holds 2, 3 and 4.
    assert.deepEqual(h.normal, [2, 1]);
    assert.deepEqual(h.anomalous, [0, 2]);
  });

  it('log bins are geometric', () => {
    const h = histogram([1, 10, 100, 1000, 0, -5], undefined, { bins: 3, log: true });
    assert.equal(h.edges.length, 4);
    for (const [i, e] of [1, 10, 100, 1000].entries()) assert.ok(Math.abs(h.edges[i] - e) < 1e-9 * e, `edge ${i}: ${h.edges[i]}`);
    // Without labels everything is normal; 0 and -5 are below a log axis.
    assert.deepEqual(h.normal, [1, 1, 2]);
    assert.deepEqual(h.anomalous, [0, 0, 0]);
    assert.throws(() => histogram([1], undefined, { bins: 3, log: true, min: 0 }), /positive min/);
  });

  it('widens a zero-width range so equal scores still land in a bin', () => {
    const edges = histogramEdges([0.5, 0.5, 0.5], { bins: 2 });
    assert.deepEqual(edges, [0.25, 0.5, 0.75]);
    const h = histogram([0.5, 0.5, 0.5], [0, 1, 1], { bins: 2 });
    assert.deepEqual(h.normal, [0, 1]);
    assert.deepEqual(h.anomalous, [0, 2]);
  });

  it('counts every in-range score exactly once on random data', () => {
    const rng = new Rng(3);
    const n = 5000;
    const scores = Float64Array.from({ length: n }, () => Math.round(rng.next() * 1000) / 1000);
    const labels = Uint8Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    const h = histogram(scores, labels, { bins: 37 });
    const total = (xs: number[]): number => xs.reduce((s, v) => s + v, 0);
    assert.equal(total(h.normal) + total(h.anomalous), n);
    assert.equal(total(h.anomalous), labels.reduce((s, v) => s + v, 0));
    for (let bin = 0; bin < 37; bin++) {
      assert.equal(indicesInBin(scores, h.edges, bin, labels, 'normal').length, h.normal[bin]);
      assert.equal(indicesInBin(scores, h.edges, bin, labels, 'anomalous').length, h.anomalous[bin]);
    }
  });

  it('indicesInBin returns the indices behind a bar, optionally one group', () => {
    const scores = [0.9, 0.1, 0.8, 0.85, 0.2];
    const labels = [1, 0, 0, 1, 1];
    const edges = [0, 0.5, 1];
    assert.deepEqual(indicesInBin(scores, edges, 1), [0, 2, 3]);
    assert.deepEqual(indicesInBin(scores, edges, 1, labels, 'anomalous'), [0, 3]);
    assert.deepEqual(indicesInBin(scores, edges, 1, labels, 'normal'), [2]);
    assert.deepEqual(indicesInBin(scores, edges, 0, labels, 'anomalous'), [4]);
    assert.throws(() => indicesInBin(scores, edges, 0, undefined, 'normal'), /needs labels/);
  });

  it('rejects bad options', () => {
    assert.throws(() => histogram([1, 2], undefined, { bins: 0 }), /bins/);
    assert.throws(() => histogram([1, 2], undefined, { bins: 2, min: 3, max: 1 }), /above max/);
    assert.throws(() => histogram([1, 2], [0], { bins: 2 }), /differ in length/);
  });
});
