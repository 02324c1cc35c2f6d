// What activate() returns: read-only handles for other extensions and the integration tests.
import type * as vscode from 'vscode';
import type { LiveRun } from './model/liveRun';
import type { TreeNodeModel } from './model/treeModel';

export interface AelabApi {
  /** Milliseconds from loading the bundle to the end of activate(). */
  readonly activationMs: number;
  readonly tree: {
    getChildren(node?: TreeNodeModel): Promise<TreeNodeModel[]>;
    getTreeItem(node: TreeNodeModel): vscode.TreeItem;
    readonly onDidChangeTreeData: vscode.Event<unknown>;
    readonly refreshCount: number;
  };
  readonly runs: {
    readonly liveRuns: readonly LiveRun[];
    get(key: string): LiveRun | undefined;
    whenFinished(key: string): Promise<LiveRun>;
    workerPid(key: string): number | undefined;
    readonly onDidChangeRuns: vscode.Event<LiveRun | undefined>;
    readonly onDidFinishRun: vscode.Event<LiveRun>;
  };
  /** Open Results / Compare panels: `ready` once the webview's script ran and said ready. */
  readonly panels: { describe(): PanelInfo[] };
  /** Text of the status-bar item while runs are active. */
  readonly statusBarText: string | undefined;
}

export interface PanelInfo {
  kind: 'results' | 'compare' | 'study' | 'score';
  runDirs: string[];
  ready: boolean;
  /** Test images the Results panel has sent to its grid. */
  imagesServed: number;
  /** Score panel: the scores it sent its webview (file, score, flagged at the threshold used). */
  scores?: { file: string; score: number; flagged: boolean }[];
}
