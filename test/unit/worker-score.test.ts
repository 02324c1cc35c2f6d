// The bundled worker (dist/worker.js) answers `scoreImages` (Score Images with Model...) over
// advanced IPC serialization: the scores and flags `aelab score` prints for the same images,
// progress up to every file, per-file warnings, thumbnails of the highest scores (the image as
// the model sees it, its reconstruction and their difference), and `thumbnails` for a later
// page. Nothing is written. Needs `npm run build` first.
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { validateExperiment } from '../../src/core/config';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import type { HostToWorker, ScoreImagesResult, ScoredImageThumbnails, WorkerToHost } from '../../src/core/protocol';
import { decodeImageFile } from '../../src/engine/images/decode';
import { runExperiment } from '../../src/engine/run';
import { writeMvtecFromMnist } from '../../scripts/imageFolderFixtures';
import { tempDir } from './support/tempDir';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'worker.js');

interface WorkerReply {
  code: number | null;
  progress: { done: number; total: number }[];
  result?: ScoreImagesResult;
  thumbnails?: { width: number; height: number; images: ScoredImageThumbnails[]; warnings: string[] };
  failed?: string;
}

/** `thenCancel`: a cancel right behind the request (it arrives while the worker loads the backend). */
function askWorker(message: HostToWorker, thenCancel = false): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    const reply: WorkerReply = { code: null, progress: [] };
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'ready') {
        child.send(message);
        if (thenCancel) child.send({ type: 'cancel' } satisfies HostToWorker);
      } else if (m.type === 'scoreProgress') reply.progress.push({ done: m.done, total: m.total });
      else if (m.type === 'scoreImages') reply.result = m.result;
      else if (m.type === 'thumbnails') reply.thumbnails = { width: m.width, height: m.height, images: m.images, warnings: m.warnings };
      else if (m.type === 'event' && m.event.type === 'failed') reply.failed = m.event.error;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ...reply, code }));
  });
}

describe('bundled worker (dist/worker.js): score images', function () {
  this.timeout(120_000);
  const dir = tempDir('aelab-worker-score-');
  let runDir = '';
  let images = '';
  let experimentFile = '';
  let broken = '';
  let experiment: ResolvedExperiment | undefined;
  let firstScores: Float32Array | undefined;

  before(async function () {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build first');
    await writeMvtecFromMnist(path.join(dir, 'mvtec'), 'digits', { train: 200, testGood: 8, testDefect: 4 });
    const file = path.join(dir, 'score.aelab.yaml');
    experimentFile = file;
    const result = validateExperiment('name: worker-score\nseed: 5\ndata: { dataset: mvtec, root: mvtec, category: digits, validationSplit: 0.2 }\ncorruption: { fraction: 0 }\nmodel: { architecture: fcn-simple }\ntraining: { epochs: 1, batchSize: 16 }\n', file);
    assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
    experiment = result.experiment;
    const outcome = await runExperiment({ experiment: result.experiment, experimentPath: file, runsDir: path.join(dir, 'runs'), backend: 'wasm', threads: 1 });
    assert.equal(outcome.state, 'completed', outcome.error);
    runDir = outcome.runDir;
    images = path.join(dir, 'mvtec', 'digits', 'test');
    // Outside the dataset (a run that borrows the model loads the dataset again).
    fs.mkdirSync(path.join(dir, 'extra'));
    broken = path.join(dir, 'extra', 'broken.png');
    fs.writeFileSync(broken, new TextEncoder().encode('not a png'));
  });

  it('scores as `aelab score` does, with progress, warnings and the top thumbnails, writing nothing', async () => {
    const runFiles = fs.readdirSync(runDir).sort();
    const reply = await askWorker({ type: 'scoreImages', request: { runDir, paths: [images, broken], backend: 'wasm', thumbnails: 5 } });
    assert.equal(reply.code, 0, reply.failed);
    const result = reply.result;
    assert.ok(result);
    assert.ok(result.scores instanceof Float32Array && result.flagged instanceof Uint8Array, 'typed arrays arrive as typed arrays');
    assert.equal(result.files.length, 16, "8 good and 4 of each of the two defects");
    assert.deepEqual(reply.progress.at(-1), { done: 17, total: 17 }, 'progress counts every file found, the broken one too');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0], /broken\.png: .*skipped/);

    const out: string[] = [];
    const code = await main(['score', runDir, images, broken], { out: (s) => out.push(s), err: () => undefined, interactive: false, cwd: dir });
    assert.equal(code, 0);
    const cliRows = out.join('\n').trim().split('\n').slice(1);
    const workerRows = result.files.map((f, i) => `${path.relative(dir, f)},${result.scores[i]},${result.flagged[i] === 1}`);
    assert.deepEqual(workerRows, cliRows, 'same files, scores and flags as the CLI');
    firstScores = result.scores;
    assert.ok(result.flagged.some((f) => f === 1) || result.scores.every((s) => s < result.threshold));

    const order = [...result.files.keys()].sort((a, b) => result.scores[b] - result.scores[a]);
    assert.deepEqual(result.thumbnails.map((t) => t.file), order.slice(0, 5).map((i) => result.files[i]), 'thumbnails of the five highest scores, highest first');
    const first = result.thumbnails[0];
    const decoded = decodeImageFile(first.file, 1);
    assert.deepEqual([...first.original], Array.from(decoded.pixels, (v) => Math.round(v * 255)), 'the original as the model sees it');
    assert.equal(first.reconstruction.length, 28 * 28);
    const expectedDiff = Array.from(first.original, (o, p) => Math.abs(o - first.reconstruction[p]));
    const maxGap = Math.max(...[...first.difference].map((d, p) => Math.abs(d - expectedDiff[p])));
    assert.ok(maxGap <= 1, `difference is |original - reconstruction| (off by ${maxGap})`);
    assert.deepEqual(fs.readdirSync(runDir).sort(), runFiles, 'nothing written into the run');
  });

  it('answers `thumbnails` for the files of a later page, skipping unreadable ones', async () => {
    const files = [path.join(images, 'good', '000.png'), broken];
    const reply = await askWorker({ type: 'thumbnails', request: { runDir, files, backend: 'wasm' } });
    assert.equal(reply.code, 0, reply.failed);
    assert.ok(reply.thumbnails);
    assert.deepEqual([reply.thumbnails.width, reply.thumbnails.height], [28, 28]);
    assert.deepEqual(reply.thumbnails.images.map((t) => t.file), [files[0]]);
    assert.equal(reply.thumbnails.warnings.length, 1);
  });

  it('scores with the model a run borrowed (config.json modelFrom): the same scores', async () => {
    assert.ok(firstScores, 'runs after the first test');
    assert.ok(experiment);
    const borrowed = await runExperiment({ experiment, experimentPath: experimentFile, runsDir: path.join(dir, 'runs'), backend: 'wasm', threads: 1, modelFrom: runDir });
    assert.equal(borrowed.state, 'completed', borrowed.error);
    assert.ok(!fs.existsSync(path.join(borrowed.runDir, 'model')), 'the borrowing run has no model of its own');
    const reply = await askWorker({ type: 'scoreImages', request: { runDir: borrowed.runDir, paths: [images], backend: 'wasm', thumbnails: 2 } });
    assert.equal(reply.code, 0, reply.failed);
    assert.deepEqual([...(reply.result?.scores ?? [])], [...firstScores]);
    assert.equal(reply.result?.thumbnails.length, 2);
  });

  it('stops on cancel: exit 130, no scores sent', async () => {
    const reply = await askWorker({ type: 'scoreImages', request: { runDir, paths: [images], backend: 'wasm', thumbnails: 5 } }, true);
    assert.equal(reply.code, 130, reply.failed);
    assert.equal(reply.result, undefined);
    assert.ok(reply.progress.length === 0 || reply.progress.at(-1)!.done < 17, 'not every file was read');
  });

  it('reports a run that cannot score as a failure, not a crash', async () => {
    const reply = await askWorker({ type: 'scoreImages', request: { runDir: path.join(dir, 'nowhere'), paths: [images], backend: 'wasm', thumbnails: 5 } });
    assert.equal(reply.code, 1);
    assert.ok(reply.failed && reply.failed.length > 0);
    assert.equal(reply.result, undefined);
  });
});
