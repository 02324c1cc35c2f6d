// The local sweep scheduler with a fake runner (no training): train once per setting, a failed
// trainer hands the training to the next point of its setting, cancel starts nothing new.
import { strict as assert } from 'node:assert';
import type { SweepPoint } from '../../src/core/sweep/expand';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import { PointJob, PointOutcome, runPointsLocally } from '../../src/cli/sweepLocal';

const point = (index: number, trainingKey: string): SweepPoint => ({ index, trainingKey, overrides: { seed: index }, experiment: {} as ResolvedExperiment });

interface Call { index: number; modelFrom?: string; start: number; end: number }

function fakeRunner(log: Call[], fail: Set<number> = new Set(), clock = { t: 0 }) {
  return async (job: PointJob, _onEvent: unknown, signal: AbortSignal): Promise<PointOutcome> => {
    const call: Call = { index: job.point.index, modelFrom: job.modelFrom, start: clock.t++, end: -1 };
    log.push(call);
    await new Promise((r) => setTimeout(r, 5));
    call.end = clock.t++;
    if (signal.aborted) return { state: 'cancelled', runDir: `/runs/${job.point.index}` };
    if (fail.has(job.point.index)) return { state: 'failed', runDir: `/runs/${job.point.index}`, error: 'boom' };
    return { state: 'completed', runDir: `/runs/${job.point.index}` };
  };
}

describe('local sweep scheduler', () => {
  it('trains once per training setting; the other points of it score with that model, after it', async () => {
    const log: Call[] = [];
    const todo = [point(0, 'a'), point(1, 'a'), point(2, 'b'), point(3, 'a'), point(4, 'b')];
    const outcomes = await runPointsLocally({ todo, models: new Map(), parallel: 2, runner: fakeRunner(log), signal: new AbortController().signal });
    assert.equal(outcomes.size, 5);
    assert.ok([...outcomes.values()].every((o) => o.state === 'completed'));
    const byIndex = new Map(log.map((c) => [c.index, c]));
    assert.deepEqual(log.filter((c) => !c.modelFrom).map((c) => c.index).sort(), [0, 2], 'one training per setting');
    for (const i of [1, 3]) {
      assert.equal(byIndex.get(i)?.modelFrom, '/runs/0');
      assert.ok(byIndex.get(i)!.start > byIndex.get(0)!.end, `point ${i} starts after its model exists`);
    }
    assert.equal(byIndex.get(4)?.modelFrom, '/runs/2');
    assert.equal(outcomes.get(3)?.modelFrom, '/runs/0');
  });

  it('never runs more than `parallel` points at once', async () => {
    const log: Call[] = [];
    const todo = Array.from({ length: 6 }, (_, i) => point(i, `k${i}`));
    await runPointsLocally({ todo, models: new Map(), parallel: 2, runner: fakeRunner(log), signal: new AbortController().signal });
    for (const c of log) {
      const overlapping = log.filter((o) => o.start <= c.start && o.end > c.start).length;
      assert.ok(overlapping <= 2, `${overlapping} at once`);
    }
  });

  it('uses a model left by an earlier sweep, and a failed trainer hands training to the next point of its setting', async () => {
    const log: Call[] = [];
    const todo = [point(0, 'a'), point(1, 'a'), point(2, 'b')];
    const outcomes = await runPointsLocally({ todo, models: new Map([['b', '/old/run']]), parallel: 1, runner: fakeRunner(log, new Set([0])), signal: new AbortController().signal });
    assert.equal(outcomes.get(0)?.state, 'failed');
    assert.equal(log.find((c) => c.index === 1)?.modelFrom, undefined, 'point 1 trains itself');
    assert.equal(outcomes.get(1)?.state, 'completed');
    assert.equal(log.find((c) => c.index === 2)?.modelFrom, '/old/run');
  });

  it('after a cancel nothing new starts and the running points end cancelled', async () => {
    const log: Call[] = [];
    const controller = new AbortController();
    const todo = Array.from({ length: 6 }, (_, i) => point(i, `k${i}`));
    const runner = fakeRunner(log);
    const outcomes = await runPointsLocally({
      todo, models: new Map(), parallel: 2, signal: controller.signal,
      runner: (job, onEvent, signal) => {
        if (job.point.index === 1) setTimeout(() => controller.abort(), 1);
        return runner(job, onEvent, signal);
      },
    });
    assert.deepEqual(log.map((c) => c.index), [0, 1]);
    assert.deepEqual([...outcomes.values()].map((o) => o.state), ['cancelled', 'cancelled']);
  });
});
