// The Experiments view: every *.aelab.yaml in the workspace -> its runs (newest first, state icon,
// live epoch/loss or AUROC/F1) -> Results / Log. Refreshes on file-system changes (experiment
// files and the runs folders) and on run progress, without a reload.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPERIMENT_FILE_GLOB } from '../core/config';
import { Disposable, disposeAll } from './lifecycle';
import {
  ExperimentNodeModel, experimentNode, listExperimentChildren, listRunNodes, readExperimentFile, RunDisplayState, RunNodeModel, runChildren,
  sortExperiments, sweepChildren, SweepNodeModel, TreeNodeModel,
} from './model/treeModel';
import { isSweepActive, SweepPointDisplay } from './model/sweepModel';
import type { RunManager } from './runManager';
import { allRunsDirs, folderFor, runsDirFor } from './settings';

export const VIEW_ID = 'aelab.experiments';
const EXCLUDE = '{**/node_modules/**,**/.git/**}';
const FS_DEBOUNCE_MS = 150;
const PROGRESS_THROTTLE_MS = 500;

const STATE_ICONS: Record<RunDisplayState, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  starting: new vscode.ThemeIcon('loading~spin'),
  cancelling: new vscode.ThemeIcon('loading~spin', new vscode.ThemeColor('charts.yellow')),
  queued: new vscode.ThemeIcon('clock'),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  stale: new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconFailed')),
};

const POINT_ICONS: Record<SweepPointDisplay, vscode.ThemeIcon> = {
  queued: STATE_ICONS.queued,
  pending: new vscode.ThemeIcon('watch', new vscode.ThemeColor('charts.yellow')),
  running: STATE_ICONS.running,
  completed: STATE_ICONS.completed,
  cancelled: STATE_ICONS.cancelled,
  failed: STATE_ICONS.failed,
};

/** Context value of a run item (menus): aelab.run.<state>, plus .results when it has results. */
export function runContextValue(run: RunNodeModel): string {
  // Refused at start: no folder, so only Show Log applies (menus match aelab.run.<state>).
  if (run.state === 'failed' && run.dir === undefined) return 'aelab.run.refused';
  return `aelab.run.${run.state}${run.summary ? '.results' : ''}`;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class ExperimentsTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNodeModel> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TreeNodeModel | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private runWatchers: vscode.Disposable[] = [];
  private fsTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  /** Bumped on every refresh; tests wait for it. */
  private generation = 0;
  private experimentsCache: Promise<ExperimentNodeModel[]> | undefined;

  constructor(private readonly manager: RunManager) {
    super();
    const experiments = this._register(vscode.workspace.createFileSystemWatcher(EXPERIMENT_FILE_GLOB));
    this._register(experiments.onDidCreate(() => this.scheduleRefresh(true)));
    this._register(experiments.onDidChange(() => this.scheduleRefresh(true)));
    this._register(experiments.onDidDelete(() => this.scheduleRefresh(true)));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => { this.watchRunsFolders(); this.refresh(); }));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('aelab.runsFolder')) { this.watchRunsFolders(); this.refresh(); }
    }));
    this._register(vscode.workspace.onDidSaveTextDocument((d) => {
      if (d.uri.path.endsWith('.aelab.yaml')) this.scheduleRefresh(true);
    }));
    this._register(manager.onDidChangeRuns((run) => {
      // State changes show at once; batch progress at most twice a second.
      if (!run || run.state !== 'running') this.refreshRuns();
      else this.progressTimer ??= setTimeout(() => { this.progressTimer = undefined; this.refreshRuns(); }, PROGRESS_THROTTLE_MS);
    }));
    this._register({ dispose: () => { disposeAll(this.runWatchers); if (this.fsTimer) clearTimeout(this.fsTimer); if (this.progressTimer) clearTimeout(this.progressTimer); } });
    this.watchRunsFolders();
  }

  get refreshCount(): number {
    return this.generation;
  }

  /** Re-reads everything: the experiment files and the runs. */
  refresh(): void {
    this.experimentsCache = undefined;
    this.refreshRuns();
  }

  /** Re-reads the runs only (progress, run folders changing); the experiment list stays cached. */
  private refreshRuns(): void {
    if (this.isDisposed) return;
    this.generation++;
    this._onDidChangeTreeData.fire(undefined);
  }

  private scheduleRefresh(experimentsToo: boolean): void {
    if (experimentsToo) this.experimentsCache = undefined;
    if (this.fsTimer) clearTimeout(this.fsTimer);
    this.fsTimer = setTimeout(() => { this.fsTimer = undefined; this.refreshRuns(); }, FS_DEBOUNCE_MS);
  }

  /** One recursive watcher per runs folder (inside a workspace folder: relative to it). */
  private watchRunsFolders(): void {
    disposeAll(this.runWatchers);
    for (const dir of allRunsDirs()) {
      const folder = vscode.workspace.workspaceFolders?.find((f) => isInside(f.uri.fsPath, dir));
      const rel = folder ? path.relative(folder.uri.fsPath, dir).split(path.sep).join('/') : '';
      const pattern = folder
        ? new vscode.RelativePattern(folder, rel ? `${rel}/**` : '**')
        : new vscode.RelativePattern(vscode.Uri.file(dir), '**');
      const w = vscode.workspace.createFileSystemWatcher(pattern);
      // Model weights and temp files change a lot while a run saves: only the files the tree shows matter.
      const relevant = (uri: vscode.Uri) => !uri.path.endsWith('.tmp') && !uri.path.includes('/model/') && !uri.path.endsWith('.bin');
      w.onDidCreate((u) => relevant(u) && this.scheduleRefresh(false));
      w.onDidChange((u) => relevant(u) && this.scheduleRefresh(false));
      w.onDidDelete(() => this.scheduleRefresh(false));
      this.runWatchers.push(w);
    }
  }

  /** The experiment files, cached until a file event, a save or refresh() says otherwise. */
  experiments(): Promise<ExperimentNodeModel[]> {
    let cached = this.experimentsCache;
    if (!cached) {
      const search = Promise.resolve(vscode.workspace.findFiles(EXPERIMENT_FILE_GLOB, EXCLUDE)).then(
        (uris) => sortExperiments(uris.map((u) => experimentNode(readExperimentFile(u.fsPath), folderFor(u)?.uri.fsPath))),
      );
      // A failed search is not cached.
      search.catch(() => { if (this.experimentsCache === search) this.experimentsCache = undefined; });
      this.experimentsCache = search;
      cached = search;
    }
    return cached;
  }

  runsOf(experiment: ExperimentNodeModel): RunNodeModel[] {
    const name = experiment.file.name;
    const dir = runsDirFor(vscode.Uri.file(experiment.file.path));
    if (!name || !dir) return [];
    return listRunNodes(dir, name, this.manager.liveRuns, Date.now());
  }

  /** Every run of every experiment (for pickers). */
  async allRuns(): Promise<RunNodeModel[]> {
    const seen = new Set<string>();
    const out: RunNodeModel[] = [];
    for (const e of await this.experiments()) {
      for (const r of this.runsOf(e)) {
        const id = r.dir ?? r.liveKey ?? '';
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(r);
      }
    }
    return out;
  }

  /** The experiment's sweep node (if any), then its runs outside the sweep. */
  childrenOf(experiment: ExperimentNodeModel): (SweepNodeModel | RunNodeModel)[] {
    const name = experiment.file.name;
    const dir = runsDirFor(vscode.Uri.file(experiment.file.path));
    if (!name || !dir) return [];
    return listExperimentChildren(dir, name, experiment.file.path, this.manager.liveRuns, Date.now());
  }

  async getChildren(element?: TreeNodeModel): Promise<TreeNodeModel[]> {
    if (!element) return this.experiments();
    switch (element.kind) {
      case 'experiment': return this.childrenOf(element);
      case 'run': return runChildren(element);
      case 'sweep': {
        const dir = runsDirFor(vscode.Uri.file(element.experimentPath));
        return dir ? sweepChildren(element, dir, element.sweep.name) : [];
      }
      default: return [];
    }
  }

  getTreeItem(element: TreeNodeModel): vscode.TreeItem {
    switch (element.kind) {
      case 'experiment': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${element.file.path}`;
        item.description = element.description;
        item.tooltip = element.tooltip;
        item.resourceUri = vscode.Uri.file(element.file.path);
        item.iconPath = element.file.valid ? new vscode.ThemeIcon('beaker') : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = element.file.valid ? 'aelab.experiment' : 'aelab.experiment.invalid';
        item.command = { command: 'vscode.open', title: 'Open Experiment', arguments: [vscode.Uri.file(element.file.path)] };
        return item;
      }
      case 'run': {
        const hasChildren = element.state === 'completed' || element.hasLog;
        const item = new vscode.TreeItem(element.label, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `run:${element.experimentName}:${element.runId ?? element.liveKey}`;
        item.description = element.description;
        item.tooltip = element.tooltip;
        item.iconPath = STATE_ICONS[element.state];
        item.contextValue = runContextValue(element);
        return item;
      }
      case 'results': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
        item.id = `results:${element.run.dir}`;
        item.description = element.description;
        item.iconPath = new vscode.ThemeIcon('graph');
        item.contextValue = 'aelab.results';
        item.command = { command: 'aelab.openResults', title: 'Open Results', arguments: [element] };
        return item;
      }
      case 'sweep': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `sweep:${element.sweep.dir}`;
        item.description = element.description;
        item.tooltip = element.tooltip;
        item.iconPath = new vscode.ThemeIcon('run-all');
        item.contextValue = isSweepActive(element.sweep) ? 'aelab.sweep.active' : 'aelab.sweep';
        return item;
      }
      case 'sweepPoint': {
        const item = new vscode.TreeItem(element.point.label, vscode.TreeItemCollapsibleState.None);
        item.id = `sweepPoint:${element.sweepDir}:${element.point.index}`;
        item.description = element.point.description;
        item.iconPath = POINT_ICONS[element.point.state];
        item.contextValue = `aelab.sweepPoint.${element.point.state}`;
        return item;
      }
      case 'log': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
        item.id = `log:${element.run.dir ?? element.run.liveKey}`;
        item.iconPath = new vscode.ThemeIcon('output');
        item.contextValue = 'aelab.log';
        item.command = { command: 'aelab.showLog', title: 'Show Log', arguments: [element] };
        return item;
      }
    }
  }
}
