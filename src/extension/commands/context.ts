// What every command gets: the extension's services. Each command lives in its own file and
// exports register(ctx) returning its Disposable.
import type * as vscode from 'vscode';
import type { ExperimentDiagnostics } from '../diagnostics';
import type { ExperimentsTreeProvider } from '../experimentsTree';
import type { Panels } from '../panels/panels';
import type { RunManager } from '../runManager';
import type { SweepSessions } from '../sweepSessions';

export interface CommandContext {
  readonly manager: RunManager;
  readonly tree: ExperimentsTreeProvider;
  readonly diagnostics: ExperimentDiagnostics;
  /** Results and Compare webview panels. */
  readonly panels: Panels;
  readonly output: vscode.OutputChannel;
  /** examples/ inside the installed extension: the New Experiment templates. */
  readonly examplesDir: string;
  /** dist/cli.js of the installed extension: Run Sweep runs `aelab sweep` with it. */
  readonly cliPath: string;
  /** The sweeps Run Sweep is running in this window. */
  readonly sweeps: SweepSessions;
}

export const COMMANDS = {
  train: 'aelab.trainAutoencoder',
  cancel: 'aelab.cancelTraining',
  openResults: 'aelab.openResults',
  compareRuns: 'aelab.compareRuns',
  openStudy: 'aelab.openStudy',
  generateReport: 'aelab.generateReport',
  newExperiment: 'aelab.newExperiment',
  validate: 'aelab.validateExperiment',
  deleteRun: 'aelab.deleteRun',
  revealRunFolder: 'aelab.revealRunFolder',
  showLog: 'aelab.showLog',
  refresh: 'aelab.refreshExperiments',
  runSweep: 'aelab.runSweep',
  cancelSweep: 'aelab.cancelSweep',
  scoreImages: 'aelab.scoreImages',
} as const;
