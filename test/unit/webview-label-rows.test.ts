import { strict as assert } from 'node:assert';
import { assignLabelRows } from '../../src/webview/shared/labelRows';

describe('webview: marker label rows', () => {
  it('labels far apart share the top row', () => {
    assert.deepEqual(assignLabelRows([{ left: 0, right: 40 }, { left: 100, right: 140 }, { left: 200, right: 250 }]), [0, 0, 0]);
  });

  it('overlapping labels stack, and a later label reuses the first row that is free again', () => {
    const rows = assignLabelRows([
      { left: 10, right: 60 }, // a
      { left: 30, right: 80 }, // b overlaps a
      { left: 50, right: 90 }, // c overlaps a and b
      { left: 100, right: 130 }, // d: clear of everything
    ]);
    assert.deepEqual(rows, [0, 1, 2, 0]);
  });

  it('keeps the gap between neighbours and the order of the input', () => {
    // 2 px apart: too close with the default 4 px gap.
    assert.deepEqual(assignLabelRows([{ left: 62, right: 90 }, { left: 0, right: 60 }]), [1, 0]);
    assert.deepEqual(assignLabelRows([{ left: 62, right: 90 }, { left: 0, right: 60 }], [], 1), [0, 0]);
  });

  it('never puts a label on the reserved span of the top row (the threshold handle)', () => {
    const rows = assignLabelRows([{ left: 95, right: 140 }, { left: 0, right: 50 }], [{ left: 94, right: 106 }]);
    assert.deepEqual(rows, [1, 0]);
  });
});
