// `aelab`: the engine from the command line. Exit codes: 0 ok, 1 invalid input, 2 run failed,
// 130 cancelled (Ctrl-C).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides, formatProblem, locateKeyProblem, Problem } from '../core/config';
import { InputError } from '../core/errors';
import { datasetAccessFor } from '../core/datasetFiles';
import type { ResolvedExperiment } from '../core/experiment.generated';
import type { BackendPreference, RunRequest, ThreadsPreference } from '../core/protocol';
import { readTextFileBounded, notText } from '../core/fileAccess';
import { appendRunLog, listRuns, readRun, RunListing, writerElsewhere } from '../core/runFolder';
import { runsDirEscapes } from '../core/runFolderLifecycle';
import { formatSummary, fmt, table } from './format';
import { RunProgress } from './progress';
import { findExperimentFiles } from './findExperiments';
import { EXIT, Io, UsageError } from './cliTypes';
import { resolveRunDir } from './runDirs';
import { commandReport } from './reportCommand';
import { commandScore } from './scoreCommand';
import { commandSweep, SWEEP_USAGE } from './sweepCommands';
import { expandSweep } from '../core/sweep/expand';
import { describePoint, loadSweep, modelForPoint, PointRecorder, startSweepFolder } from './sweepPoint';

export { EXIT };

const USAGE = `aelab — Autoencoder Anomaly Lab, headless

Usage:
  aelab run FILE [--set path=value]... [--runs-dir DIR] [--backend auto|tensorflow|wasm|cpu]
                 [--threads auto|1|2] [--sweep-index I]
${SWEEP_USAGE}
  aelab validate FILE...
  aelab list [DIR] [--runs-dir DIR]
  aelab show RUN [--runs-dir DIR]        RUN: a run folder, or a run id
  aelab report (EXPERIMENT-FILE | RUN-FOLDER | FOLDER-OF-RUNS)... -o DIR [--runs-dir DIR]
                 [--figures svg+png|svg] [--per-run all|representative|summary] [--samples N]
                                         writes DIR/report.md, DIR/report.html, DIR/figures/;
                 --figures svg: no PNG copies; --per-run representative: one run section per
                 setting (seeds grouped), summary: none (table and across-run charts only);
                 --samples N: sample-grid rows per group (default 4, 0: no grid)
  aelab score RUN PATH... [--threshold X | --strategy NAME] [--out FILE.csv] [--runs-dir DIR]
                 PATH: image files (PNG, JPEG) or folders; prints path,score,flagged per image;
                 --out writes FILE.csv and FILE.json
  aelab help

Runs are written under --runs-dir (default: ./.aelab/runs).
Exit codes: 0 ok, 1 invalid input, 2 run failed, 130 cancelled.`;


/** An experiment file's text, or undefined after saying why it cannot be read as one. */
function readExperimentText(file: string, io: Io): string | undefined {
  let text: string;
  try {
    // Type and size first: a FIFO or /dev/zero named *.aelab.yaml must not hang or exhaust memory.
    text = readTextFileBounded(file);
  } catch (err) {
    io.err(`${file}: ${(err as Error).message}`);
    return undefined;
  }
  const binary = notText(text);
  if (binary) {
    io.err(`${file}:1:1: ${binary}`);
    return undefined;
  }
  return text;
}

/** Reads and validates an experiment; `checkData` also checks the dataset's files (validate, run). */
function readExperiment(file: string, overrides: string[], io: Io, checkData = true) {
  const text = readExperimentText(file, io);
  if (text === undefined) return undefined;
  const result = applyOverrides(text, file, overrides, checkData ? datasetAccessFor(file, io.cwd) : undefined);
  printProblems(result.problems, io);
  return result.ok ? result.experiment : undefined;
}

/** file:line:col at the key the engine named, else the file alone. */
function describeInputError(err: InputError, file: string, overrides: string[], cwd: string): string {
  const shown = path.relative(cwd, file) || file;
  if (err.key) {
    try {
      return formatProblem(locateKeyProblem(fs.readFileSync(file, 'utf8'), shown, overrides, err.key, err.message));
    } catch {
      // The file changed or vanished since it was read: fall back to naming it.
    }
  }
  return `${shown}: ${err.message}`;
}

export function printProblems(problems: Problem[], io: Io): void {
  for (const p of problems) io.err(formatProblem(p));
}

async function commandRun(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true }, 'runs-dir': { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
      'sweep-index': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one experiment file');
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend)) throw new UsageError(`--backend must be auto, tensorflow, wasm or cpu, got "${values.backend}"`);
  const threadsArg = values.threads ?? 'auto';
  if (!['auto', '1', '2'].includes(threadsArg)) throw new UsageError(`--threads must be auto, 1 or 2, got "${threadsArg}"`);
  const threads: ThreadsPreference = threadsArg === 'auto' ? 'auto' : threadsArg === '1' ? 1 : 2;
  const file = path.resolve(io.cwd, positionals[0]);
  const runsDir = path.resolve(io.cwd, values['runs-dir'] ?? path.join('.aelab', 'runs'));
  // The default lives in the folder: a symbolic link there must not send runs elsewhere.
  const escapes = values['runs-dir'] === undefined ? runsDirEscapes(runsDir, io.cwd) : undefined;
  if (escapes) {
    io.err(`aelab: ${escapes}`);
    return EXIT.invalidInput;
  }
  const sweepIndexArg = values['sweep-index'];
  let experiment: ResolvedExperiment | undefined;
  let point: { request: Pick<RunRequest, 'sweep' | 'modelFrom'>; recorder: PointRecorder } | undefined;
  if (sweepIndexArg === undefined) {
    experiment = readExperiment(file, values.set ?? [], io);
    if (experiment?.sweep) {
      io.err('note: this file declares a sweep; aelab run runs the file\'s own experiment once (aelab sweep runs every point, --sweep-index I one of them)');
      delete experiment.sweep;
    }
  } else {
    const index = Number(sweepIndexArg);
    if (!/^\d+$/.test(sweepIndexArg)) throw new UsageError(`--sweep-index must be a point number (0, 1, ...), got "${sweepIndexArg}"`);
    const loaded = loadSweep(file, values.set ?? [], runsDir, io.cwd);
    if (!loaded.ok) {
      printProblems(loaded.problems, io);
      if (loaded.message) io.err(loaded.message);
      return EXIT.invalidInput;
    }
    const { sweep } = loaded;
    const chosen = sweep.plan.points[index];
    if (!chosen) {
      io.err(`${path.relative(io.cwd, file) || file}: --sweep-index ${index} is outside the sweep's points 0..${sweep.plan.points.length - 1}`);
      return EXIT.invalidInput;
    }
    experiment = chosen.experiment;
    const modelFrom = modelForPoint(startSweepFolder(sweep), index);
    point = { request: { sweep: { name: sweep.plan.name, index }, modelFrom }, recorder: new PointRecorder(sweep.dir, index, modelFrom) };
    io.out(`sweep ${sweep.plan.name} point ${index}/${sweep.plan.points.length - 1}: ${describePoint(chosen.overrides)}${modelFrom ? ` (scoring with the model of ${modelFrom})` : ''}`);
  }
  if (!experiment) return EXIT.invalidInput;

  // Load the engine (and TensorFlow.js) only for commands that train.
  const { runExperiment } = await import('../engine/run.js');
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.err('\ncancelling at the next batch (Ctrl-C again to abort at once)...');
      controller.abort();
    } else {
      process.exit(EXIT.cancelled);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // run.log gets the same lines as the terminal (the bar excepted), from the moment the folder exists.
  let runDir: string | undefined;
  let pendingLog: string[] = [];
  const writeLine = (line: string) => {
    io.out(line);
    pendingLog.push(`${new Date().toISOString()} ${line}`);
    if (!runDir) return;
    try { appendRunLog(runDir, pendingLog.join('\n') + '\n'); } catch { /* folder removed under us: the terminal still has it */ }
    pendingLog = [];
  };
  const progress = new RunProgress(io.interactive, writeLine);
  try {
    const outcome = await runExperiment({ experiment, experimentPath: file, runsDir, workspaceRoot: io.cwd, backend, threads, ...point?.request }, {
      onEvent: (e) => {
        if (e.type === 'started') {
          runDir = e.runDir;
          point?.recorder.started(e.runDir);
        }
        progress.handle(e);
      },
      signal: controller.signal, wasmDir: io.wasmDir,
    });
    progress.stopBar();
    point?.recorder.finished(outcome.state, outcome.error);
    if (outcome.state === 'completed' && outcome.summary) {
      if (controller.signal.aborted) io.err('the cancel came after the results were complete: the run is completed');
      io.out('');
      io.out(formatSummary(outcome.summary));
      io.out(`\nrun folder: ${outcome.runDir}`);
      return EXIT.ok;
    }
    if (outcome.state === 'cancelled') {
      io.err(`cancelled; run folder: ${outcome.runDir}`);
      return EXIT.cancelled;
    }
    io.err(`run failed: ${outcome.error}\nrun folder: ${outcome.runDir}`);
    return EXIT.runFailed;
  } catch (err) {
    progress.stopBar();
    point?.recorder.finished('failed', err instanceof Error ? err.message : String(err));
    if (err instanceof InputError) {
      io.err(describeInputError(err, file, values.set ?? [], io.cwd));
      return EXIT.invalidInput;
    }
    // One line: what could not be done and why (AELAB_DEBUG=1 adds the stack).
    const message = err instanceof Error ? (process.env.AELAB_DEBUG ? err.stack ?? err.message : err.message) : String(err);
    io.err(`run failed: ${message}`);
    return EXIT.runFailed;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function commandValidate(args: string[], io: Io): number {
  if (args.length === 0) throw new UsageError('validate takes one or more experiment files');
  let bad = 0;
  for (const arg of args) {
    const file = path.resolve(io.cwd, arg);
    const text = readExperimentText(file, io);
    if (text === undefined) {
      bad += 1;
      continue;
    }
    // A sweep is checked point by point, as `aelab sweep` would before running anything.
    const result = expandSweep(text, file, [], { yes: true, dataset: datasetAccessFor(file, io.cwd) });
    printProblems(result.problems, io);
    const experiment = result.base;
    if (!result.ok || !experiment) {
      bad += 1;
      continue;
    }
    const sweep = result.plan ? `; sweep of ${result.plan.points.length} point(s) over ${result.plan.parameters.join(', ')}${result.plan.seeds.length > 1 ? ` x ${result.plan.seeds.length} seeds` : ''}, ${new Set(result.plan.points.map((p) => p.trainingKey)).size} training(s)` : '';
    io.out(`${arg}: ok (${experiment.name}: ${experiment.model.architecture}, ${experiment.training.loss} loss, ${experiment.training.epochs} epoch(s)${sweep})`);
  }
  return bad > 0 ? EXIT.invalidInput : EXIT.ok;
}

function runRow(run: RunListing): string[] {
  const s = run.summary;
  const state = run.damaged ? 'damaged' : run.stale ? 'failed (writer gone)' : run.status.state;
  const host = writerElsewhere(run.status);
  const progress = run.status.state === 'running' ? `epoch ${run.status.epoch ?? 0}/${run.status.epochs ?? '?'}${host ? ` on ${host}` : ''}` : '';
  return ['', run.runId, state, s ? fmt(s.auroc) : '', s ? fmt(s.operatingPoint.f1) : '', progress || (run.damaged ?? run.status.error ?? '')];
}

function commandList(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'runs-dir': { type: 'string' } } });
  const root = path.resolve(io.cwd, positionals[0] ?? '.');
  const runsDir = path.resolve(io.cwd, values['runs-dir'] ?? path.join('.aelab', 'runs'));
  const files = findExperimentFiles(root);
  if (files.length === 0) {
    io.out(`no *.aelab.yaml files under ${root}`);
    return EXIT.ok;
  }
  const rows: string[][] = [['experiment / run', '', 'state', 'AUROC', 'F1', '']];
  for (const file of files) {
    const experiment = readExperiment(file, [], { ...io, err: () => undefined }, false);
    const rel = path.relative(io.cwd, file);
    if (!experiment) {
      rows.push([rel, '', 'invalid (aelab validate)', '', '', '']);
      continue;
    }
    const runs = listRuns(runsDir, experiment.name);
    rows.push([`${experiment.name} (${rel})`, '', `${runs.length} run(s)`, '', '', '']);
    for (const run of runs) rows.push(runRow(run));
  }
  io.out(table(rows));
  return EXIT.ok;
}

function commandShow(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'runs-dir': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('show takes one run folder or run id');
  const runsDir = path.resolve(io.cwd, values['runs-dir'] ?? path.join('.aelab', 'runs'));
  const dir = resolveRunDir(positionals[0], runsDir, io.cwd);
  if (!dir) {
    io.err(`${positionals[0]}: no such run (looked for a folder with status.json, and for a run id under ${runsDir})`);
    return EXIT.invalidInput;
  }
  const run = readRun(dir);
  const c = run.config?.experiment;
  io.out(`run ${run.status.runId}  ${run.damaged ? 'damaged' : run.stale ? 'failed (writer gone)' : run.status.state}  started ${run.status.startedAt || '?'}${run.status.endedAt ? `  ended ${run.status.endedAt}` : ''}`);
  if (run.damaged) io.out(`damaged: ${run.damaged}`);
  if (c) io.out(`experiment ${c.name}: ${c.model.architecture}, ${c.training.loss} loss, ${c.training.optimizer} lr ${c.training.learningRate}, corruption ${c.corruption.type} ${c.corruption.level} on ${c.corruption.fraction * 100}% of test`);
  if (run.status.error && !run.damaged) io.out(`error: ${run.status.error}`);
  if (run.metrics.length > 0) {
    io.out('');
    io.out(table([['epoch', 'train loss', 'validation loss', 'seconds'], ...run.metrics.map((m) => [String(m.epoch), fmt(m.trainLoss, 5), fmt(m.valLoss, 5), fmt(m.seconds, 1)])], [true, true, true, true]));
  }
  if (run.summary) {
    io.out('');
    io.out(formatSummary(run.summary));
  }
  const manual = run.manualThreshold;
  if (manual) {
    const p = manual.operatingPoint;
    io.out(`\nmanual threshold ${fmt(manual.value, 6)} (saved ${manual.savedAt} with "Use this threshold"): TP ${p.tp}  FN ${p.fn}  FP ${p.fp}  TN ${p.tn}   precision ${fmt(p.precision)}   recall ${fmt(p.recall)}   F1 ${fmt(p.f1)}`);
  }
  io.out(`\nrun folder: ${dir}`);
  return EXIT.ok;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': return await commandRun(rest, io);
      case 'validate': return commandValidate(rest, io);
      case 'list': return commandList(rest, io);
      case 'show': return commandShow(rest, io);
      case 'report': return commandReport(rest, io);
      case 'sweep': return await commandSweep(rest, io);
      case 'score': return await commandScore(rest, io);
      case undefined: case 'help': case '--help': case '-h':
        io.out(USAGE);
        return command === undefined ? EXIT.invalidInput : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`aelab: ${err.message}\n\n${USAGE}`);
      return EXIT.invalidInput;
    }
    throw err;
  }
}
