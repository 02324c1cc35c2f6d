import { strict as assert } from 'node:assert';
import { QueueJob, RunQueue } from '../../src/extension/model/runQueue';

interface Job extends QueueJob {
  finish(): void;
  started: boolean;
}

function job(id: string): Job {
  let finish = () => undefined as void;
  const j: Job = {
    id,
    started: false,
    finish: () => finish(),
    start() {
      j.started = true;
      return new Promise<void>((resolve) => { finish = resolve; });
    },
  };
  return j;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('extension: run queue', () => {
  it('runs at most `limit` jobs, the rest wait in order', async () => {
    const q = new RunQueue<Job>(1);
    const [a, b, c] = [job('a'), job('b'), job('c')];
    assert.equal(q.enqueue(a), 'active');
    assert.equal(q.enqueue(b), 'queued');
    assert.equal(q.enqueue(c), 'queued');
    assert.deepEqual([a.started, b.started, c.started], [true, false, false]);
    assert.equal(q.positionOf('c'), 2);
    a.finish();
    await tick();
    assert.deepEqual([b.started, c.started], [true, false]);
    assert.equal(q.stateOf('a'), 'done');
    b.finish();
    await tick();
    assert.equal(c.started, true);
  });

  it('raising the limit starts waiting jobs at once', () => {
    const q = new RunQueue<Job>(1);
    const jobs = ['a', 'b', 'c'].map(job);
    jobs.forEach((j) => q.enqueue(j));
    q.setLimit(3);
    assert.deepEqual(jobs.map((j) => j.started), [true, true, true]);
    assert.equal(q.activeJobs.length, 3);
  });

  it('a removed job never starts; a failing job frees its slot', async () => {
    const q = new RunQueue<Job>(1);
    const bad: Job = { ...job('bad'), start: () => Promise.reject(new Error('boom')) };
    const b = job('b');
    const c = job('c');
    q.enqueue(bad);
    q.enqueue(b);
    q.enqueue(c);
    assert.equal(q.removeQueued('c'), true);
    assert.equal(q.removeQueued('c'), false);
    await tick();
    assert.equal(b.started, true);
    b.finish();
    await tick();
    assert.equal(c.started, false);
    assert.equal(q.activeJobs.length, 0);
  });

  it('clamps nonsense limits to 1 and refuses work after dispose', () => {
    const q = new RunQueue<Job>(0);
    assert.equal(q.limit, 1);
    q.setLimit(Number.NaN);
    assert.equal(q.limit, 1);
    q.enqueue(job('a'));
    const waiting = job('b');
    q.enqueue(waiting);
    assert.deepEqual(q.dispose().map((j) => j.id), ['b']);
    assert.throws(() => q.enqueue(job('c')), /disposed/);
  });

  it('reports changes', async () => {
    let changes = 0;
    const q = new RunQueue<Job>(1, () => changes++);
    const a = job('a');
    q.enqueue(a);
    assert.ok(changes >= 1);
    const before = changes;
    a.finish();
    await tick();
    assert.ok(changes > before);
  });
});
