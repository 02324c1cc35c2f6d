// Live training loss: per-batch points recorded from worker events (thinned past a cap), smoothed
// with bias correction, and aligned with the per-epoch points on one x axis.
import { strict as assert } from 'node:assert';
import { applyRunEvent, newLiveRun, recordBatchLoss } from '../../src/extension/model/liveRun';
import { alignLossSeries, smoothLoss } from '../../src/webview/results/lossCard';

describe('live loss: per batch, smoothed', () => {
  it('records each batch at its fractional epoch and seconds since the first batch', () => {
    const run = newLiveRun('k', 'e', '/e.aelab.yaml', 2, 0);
    applyRunEvent(run, { type: 'batch', epoch: 1, epochs: 2, batch: 1, batches: 4, loss: 0.5 }, 1000);
    applyRunEvent(run, { type: 'batch', epoch: 1, epochs: 2, batch: 2, batches: 4, loss: 0.4 }, 1500);
    applyRunEvent(run, { type: 'batch', epoch: 2, epochs: 2, batch: 1, batches: 4, loss: 0.3 }, 3000);
    assert.deepEqual(run.batchLoss, [
      { epoch: 0.25, seconds: 0, loss: 0.5 },
      { epoch: 0.5, seconds: 0.5, loss: 0.4 },
      { epoch: 1.25, seconds: 2, loss: 0.3 },
    ]);
  });

  it('past the cap keeps every other point, oldest first', () => {
    const points = [0, 1, 2, 3].map((i) => ({ epoch: i, seconds: i, loss: i }));
    assert.equal(recordBatchLoss(points, { epoch: 4, seconds: 4, loss: 4 }, 4), true);
    assert.deepEqual(points.map((p) => p.epoch), [0, 2, 4]);
    assert.equal(recordBatchLoss(points, { epoch: 5, seconds: 5, loss: 5 }, 4), false);
    assert.equal(points.length, 4);
  });

  it('smooths with bias correction: a constant stays constant, a step approaches the new level', () => {
    assert.deepEqual(smoothLoss([2, 2, 2]).map((v) => Number(v.toFixed(12))), [2, 2, 2]);
    const step = smoothLoss([1, 1, 1, 0, 0, 0, 0, 0], 0.5);
    assert.equal(step[0], 1, 'the first value is not pulled towards 0');
    assert.ok(step[3] < 1 && step[3] > 0);
    assert.ok(step[7] < step[4], 'decays towards the new level');
    assert.deepEqual(smoothLoss([3, 1, 2], 0), [3, 1, 2]);
  });

  it('aligns epoch and batch points on one sorted x axis, null where a series has no point', () => {
    const [x, train, val, batch] = alignLossSeries([{ x: 1, train: 0.2, val: 0.25 }], [{ x: 0.5, loss: 0.3 }, { x: 1.5, loss: 0.1 }]);
    assert.deepEqual(x, [0.5, 1, 1.5]);
    assert.deepEqual(train, [null, 0.2, null]);
    assert.deepEqual(val, [null, 0.25, null]);
    assert.deepEqual(batch, [0.3, null, 0.1]);
  });
});
