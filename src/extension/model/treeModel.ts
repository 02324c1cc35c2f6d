// The Experiments tree as data: experiment files -> runs (newest first, disk merged with the
// runs this window is training) -> results. vscode-free, unit-tested; experimentsTree.ts maps it
// onto TreeItems.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { formatProblem, validateExperiment } from '../../core/config';
import { notText, readTextFileBounded } from '../../core/fileAccess';
import { listRuns, RunListing, writerElsewhere } from '../../core/runFolder';
import { RUN_FILES, RunState, RunSummary } from '../../core/runFormat';
import { formatDuration, formatF1, formatLocalTime, formatLoss, formatMetric, truncate, withFileNames } from './format';
import { LiveRun, isActiveState, progressMessage } from './liveRun';
import { readSweepFolder, sweepDescription, sweepDirOf, SweepModel, SweepPointModel } from './sweepModel';

export interface ExperimentFileInfo {
  path: string;
  /** From the file (even when the rest is invalid), if it has one. */
  name?: string;
  description?: string;
  valid: boolean;
  errorCount: number;
  firstError?: string;
}

/** Reads what the tree needs from an experiment file's text. */
export function describeExperimentFile(filePath: string, text: string): ExperimentFileInfo {
  const result = validateExperiment(text, path.basename(filePath));
  const errors = result.problems.filter((p) => p.severity === 'error');
  let name = result.experiment?.name;
  let description = result.experiment?.description;
  if (!name) {
    // Invalid elsewhere: still find `name:` so the runs of the experiment stay visible.
    try {
      const doc = parseDocument(text);
      if (isMap(doc.contents)) {
        const n = doc.contents.get('name', true);
        if (isScalar(n) && typeof n.value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n.value)) name = n.value;
        const d = doc.contents.get('description', true);
        if (isScalar(d) && typeof d.value === 'string') description = d.value;
      }
    } catch {
      // no name
    }
  }
  return {
    path: filePath, name, description, valid: result.ok, errorCount: errors.length,
    firstError: errors[0] ? formatProblem(errors[0]) : undefined,
  };
}

export function readExperimentFile(filePath: string): ExperimentFileInfo {
  let text: string;
  try {
    // Type and size first: a cloned repository's *.aelab.yaml may be a FIFO or /dev/zero.
    text = readTextFileBounded(filePath);
  } catch (err) {
    return { path: filePath, valid: false, errorCount: 1, firstError: `cannot read ${filePath}: ${(err as Error).message}` };
  }
  const binary = notText(text);
  if (binary) return { path: filePath, valid: false, errorCount: 1, firstError: `${filePath}:1:1: ${binary}` };
  return describeExperimentFile(filePath, text);
}

/** Display state: the run states plus queued (waiting for a slot) and stale (writer died). */
export type RunDisplayState = RunState | 'queued' | 'starting' | 'cancelling' | 'stale';

export interface RunNodeModel {
  kind: 'run';
  experimentName: string;
  /** Known once the engine created the folder. */
  runId?: string;
  dir?: string;
  /** Set when this window manages the run. */
  liveKey?: string;
  state: RunDisplayState;
  label: string;
  description: string;
  tooltip: string;
  summary?: RunSummary;
  hasLog: boolean;
}

export interface ExperimentNodeModel {
  kind: 'experiment';
  file: ExperimentFileInfo;
  label: string;
  description: string;
  tooltip: string;
}

export interface ResultsNodeModel {
  kind: 'results';
  run: RunNodeModel;
  label: string;
  description: string;
}

export interface LogNodeModel {
  kind: 'log';
  run: RunNodeModel;
  label: string;
}

/** A sweep of an experiment: its points, grouped under it (their runs are not listed again). */
export interface SweepNodeModel {
  kind: 'sweep';
  experimentPath: string;
  sweep: SweepModel;
  label: string;
  description: string;
  tooltip: string;
}

/** A sweep point without a run folder yet: queued, or pending on Slurm. */
export interface SweepPointNodeModel {
  kind: 'sweepPoint';
  sweepDir: string;
  point: SweepPointModel;
}

export type TreeNodeModel = ExperimentNodeModel | RunNodeModel | ResultsNodeModel | LogNodeModel | SweepNodeModel | SweepPointNodeModel;

export function experimentNode(file: ExperimentFileInfo, workspaceRoot?: string): ExperimentNodeModel {
  const rel = workspaceRoot ? path.relative(workspaceRoot, file.path) : path.basename(file.path);
  const label = file.name ?? path.basename(file.path).replace(/\.aelab\.yaml$/, '');
  const description = file.valid ? (file.description ? truncate(file.description, 60) : rel) : `${file.errorCount} problem${file.errorCount === 1 ? '' : 's'}`;
  const tooltip = [file.name ? `Experiment ${file.name}` : 'Experiment (no valid name)', rel, file.description, file.firstError].filter(Boolean).join('\n');
  return { kind: 'experiment', file, label, description, tooltip };
}

/** ` · on <host>` for a run written on another machine (e.g. a Slurm node), whose liveness is not known here. */
function remoteHost(status: RunListing['status']): string {
  const host = writerElsewhere(status);
  return host === undefined ? '' : ` · on ${host}`;
}

/** Description of a finished or on-disk run. */
export function describeListing(run: RunListing): { state: RunDisplayState; description: string } {
  const s = run.status;
  if (run.damaged) return { state: 'failed', description: `damaged: ${truncate(run.damaged, 60)}` };
  if (run.stale) return { state: 'stale', description: `crashed at epoch ${s.epoch ?? 0}/${s.epochs ?? '?'} (writer gone)` };
  switch (s.state) {
    case 'running':
      return { state: 'running', description: `epoch ${Math.max(1, s.epoch ?? 0)}/${s.epochs ?? '?'}${s.lastLoss !== undefined ? ` · loss ${formatLoss(s.lastLoss)}` : ''}${remoteHost(s)}` };
    case 'completed':
      return run.summary
        ? { state: 'completed', description: `AUROC ${formatMetric(run.summary.auroc)} · ${formatF1(run.summary)}` }
        : { state: 'completed', description: 'completed (no summary)' };
    case 'cancelled':
      return { state: 'cancelled', description: `cancelled at epoch ${s.epoch ?? 0}/${s.epochs ?? '?'}` };
    case 'failed':
      return { state: 'failed', description: `failed: ${truncate(s.error ?? 'unknown error', 60)}` };
    default:
      return { state: 'failed', description: `unknown state ${String(s.state)}` };
  }
}

function runTooltip(runId: string | undefined, dir: string | undefined, state: RunDisplayState, extra: (string | undefined)[]): string {
  return [runId ? `Run ${runId}` : 'Run (not started yet)', `state: ${state}`, ...extra, dir].filter(Boolean).join('\n');
}

/** The numbers a completed run is judged by, for its tooltip. */
function summaryLines(s: RunSummary | undefined): string[] {
  if (!s) return [];
  const op = s.operatingPoint;
  return [
    `AUROC ${formatMetric(s.auroc)} · AP ${formatMetric(s.averagePrecision)}`,
    `at ${s.chosen} (threshold ${Number(op.threshold.toPrecision(4))}): F1 ${formatMetric(op.f1)} · precision ${formatMetric(op.precision)} · recall ${formatMetric(op.recall)}`,
    `${s.epochsRun} epochs in ${formatDuration(s.trainSeconds)} on ${s.backend}`,
  ];
}

/**
 * Runs of one experiment: those on disk (newest first) merged with the live runs of this window
 * (queued ones first, since they are newer than anything on disk).
 */
export function buildRunNodes(experimentName: string, listings: readonly RunListing[], live: readonly LiveRun[], now: number): RunNodeModel[] {
  const mine = live.filter((r) => r.experimentName === experimentName);
  const byRunId = new Map(mine.filter((r) => r.runId).map((r) => [r.runId as string, r]));
  const nodes: RunNodeModel[] = [];
  // Live runs without a folder yet (queued / starting), newest first.
  for (const r of mine.filter((x) => !x.runId && isActiveState(x.state)).sort((a, b) => b.enqueuedAt - a.enqueuedAt)) {
    const state: RunDisplayState = r.state === 'queued' ? 'queued' : r.state === 'cancelling' ? 'cancelling' : 'starting';
    nodes.push({
      kind: 'run', experimentName, liveKey: r.key, state, label: state === 'queued' ? 'queued run' : 'starting run',
      description: progressMessage(r, now, false), tooltip: runTooltip(undefined, undefined, state, [r.experimentPath]), hasLog: true,
    });
  }
  // Runs refused before the engine created their folder (bad input found at start): kept in
  // memory for this window, so the failure and its log stay where the user looks.
  for (const r of mine.filter((x) => !x.runId && x.state === 'failed').sort((a, b) => b.enqueuedAt - a.enqueuedAt)) {
    const error = r.error ?? 'unknown error';
    const when = new Date(r.endedAt ?? r.enqueuedAt).toLocaleTimeString();
    nodes.push({
      kind: 'run', experimentName, liveKey: r.key, state: 'failed', label: `failed at start (${when})`,
      description: `failed: ${truncate(withFileNames(error.split('\n')[0]), 60)}`,
      tooltip: runTooltip(undefined, undefined, 'failed', [r.experimentPath, `error: ${error}`, 'nothing was written: the run stopped before its folder was created']), hasLog: true,
    });
  }
  for (const listing of listings) {
    const liveRun = byRunId.get(listing.runId);
    const hasLog = fs.existsSync(path.join(listing.dir, RUN_FILES.log)) || liveRun !== undefined;
    if (liveRun && isActiveState(liveRun.state)) {
      const state: RunDisplayState = liveRun.state === 'cancelling' ? 'cancelling' : 'running';
      nodes.push({
        kind: 'run', experimentName, runId: listing.runId, dir: listing.dir, liveKey: liveRun.key, state, label: listing.runId,
        description: progressMessage(liveRun, now, false), tooltip: runTooltip(listing.runId, listing.dir, state, [liveRun.backend && `backend: ${liveRun.backend}`, `started: ${formatLocalTime(listing.status.startedAt)}`]), hasLog,
      });
      continue;
    }
    const { state, description } = describeListing(listing);
    const s = listing.status;
    nodes.push({
      kind: 'run', experimentName, runId: listing.runId, dir: listing.dir, liveKey: liveRun?.key, state, label: listing.runId, description,
      tooltip: runTooltip(listing.runId, listing.dir, state, [
        ...summaryLines(listing.summary),
        `started: ${formatLocalTime(s.startedAt)}`, s.endedAt && `ended: ${formatLocalTime(s.endedAt)}`, s.error && `error: ${s.error}`,
      ]),
      summary: listing.summary, hasLog,
    });
  }
  // Live runs whose folder the listing does not show yet (just created): keep them visible.
  const listed = new Set(listings.map((l) => l.runId));
  for (const r of mine.filter((x) => x.runId && !listed.has(x.runId) && isActiveState(x.state))) {
    nodes.splice(0, 0, {
      kind: 'run', experimentName, runId: r.runId, dir: r.runDir, liveKey: r.key, state: 'running', label: r.runId as string,
      description: progressMessage(r, now, false), tooltip: runTooltip(r.runId, r.runDir, 'running', []), hasLog: true,
    });
  }
  return nodes;
}

export function runChildren(run: RunNodeModel): (ResultsNodeModel | LogNodeModel)[] {
  const children: (ResultsNodeModel | LogNodeModel)[] = [];
  if (run.state === 'completed' && run.summary) {
    const op = run.summary.operatingPoint;
    children.push({
      kind: 'results', run, label: 'Results',
      description: `P ${formatMetric(op.precision)} · R ${formatMetric(op.recall)} · AP ${formatMetric(run.summary.averagePrecision)}`,
    });
  }
  else if ((run.state === 'running' || run.state === 'cancelling') && run.dir) {
    // A training run's panel follows it live: reachable from the tree while it trains.
    children.push({ kind: 'results', run, label: 'Results', description: 'live' });
  }
  if (run.hasLog) children.push({ kind: 'log', run, label: 'Log' });
  return children;
}

/** Experiments sorted by label, then path. */
export function sortExperiments(nodes: ExperimentNodeModel[]): ExperimentNodeModel[] {
  return nodes.sort((a, b) => a.label.localeCompare(b.label) || a.file.path.localeCompare(b.file.path));
}

export function sweepNode(experimentPath: string, sweep: SweepModel): SweepNodeModel {
  return {
    kind: 'sweep', experimentPath, sweep, label: `Sweep (${sweep.points.length} points)`, description: sweepDescription(sweep),
    tooltip: [`Sweep of ${sweep.name}`, sweepDescription(sweep), sweep.dir].join('\n'),
  };
}

/** The experiment's sweep (if it has a sweep folder) and its runs that belong to no sweep point. */
export function listExperimentChildren(runsDir: string, experimentName: string, experimentPath: string, live: readonly LiveRun[], now: number): (SweepNodeModel | RunNodeModel)[] {
  const sweep = readSweepFolder(sweepDirOf(runsDir, experimentName));
  const inSweep = new Set(sweep?.points.map((p) => p.runDir).filter(Boolean));
  const runs = buildRunNodes(experimentName, listRuns(runsDir, experimentName).filter((l) => !inSweep.has(l.dir)), live, now);
  return sweep ? [sweepNode(experimentPath, sweep), ...runs] : runs;
}

/** A sweep's points in order: a run node (results, log, menus) where the point has a run folder. */
export function sweepChildren(node: SweepNodeModel, runsDir: string, experimentName: string): (RunNodeModel | SweepPointNodeModel)[] {
  const listings = new Map(listRuns(runsDir, experimentName).map((l) => [l.dir, l]));
  return node.sweep.points.map((point) => {
    const listing = point.runDir ? listings.get(point.runDir) : undefined;
    if (!listing) return { kind: 'sweepPoint', sweepDir: node.sweep.dir, point };
    const [run] = buildRunNodes(experimentName, [listing], [], 0);
    return { ...run, label: point.label, tooltip: `${run.tooltip}\nsweep point ${point.index}` };
  });
}

export function listRunNodes(runsDir: string, experimentName: string, live: readonly LiveRun[], now: number): RunNodeModel[] {
  return buildRunNodes(experimentName, listRuns(runsDir, experimentName), live, now);
}
