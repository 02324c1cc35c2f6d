// Panels in the real workbench: one preview Results tab reused unless pinned, Compare tabs titled
// by their runs, and a panel whose run folder is deleted saying so in its tab.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, runsRoot, waitFor } from './helpers';

function copyFixture(experiment: string, runId: string): string {
  const dir = path.join(runsRoot(), experiment, runId);
  fs.cpSync(path.join(process.env.AELAB_TEST_REPO as string, 'test', 'fixtures', 'run-fixture'), dir, { recursive: true });
  return dir;
}

const webviewTabs = (viewType: string) => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));

describe('panels', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('reuses one Results tab for the next run unless it is pinned', async () => {
    const a = await api();
    const first = copyFixture('preview-a', '20260103-000000-aaaa');
    const second = copyFixture('preview-b', '20260103-000000-bbbb');
    const third = copyFixture('preview-c', '20260103-000000-cccc');
    await vscode.commands.executeCommand('aelab.openResults', vscode.Uri.file(first));
    await waitFor('the first run shown', () => a.panels.describe().find((p) => p.kind === 'results' && p.runDirs[0] === first && p.ready), 20_000);
    await vscode.commands.executeCommand('aelab.openResults', vscode.Uri.file(second));
    await waitFor('the same panel showing the second run', () => a.panels.describe().filter((p) => p.kind === 'results').length === 1 && a.panels.describe().find((p) => p.runDirs[0] === second), 20_000);
    await waitFor('one Results tab, titled by the second run', () => {
      const labels = webviewTabs('aelab.results').map((t) => t.label);
      return labels.length === 1 && labels[0] === 'Results: preview-b / 20260103-000000-bbbb';
    });
    await vscode.commands.executeCommand('workbench.action.pinEditor');
    await waitFor('the tab pinned', () => webviewTabs('aelab.results')[0]?.isPinned);
    await vscode.commands.executeCommand('aelab.openResults', vscode.Uri.file(third));
    await waitFor('a second Results tab next to the pinned one', () => webviewTabs('aelab.results').length === 2, 20_000);
    assert.deepEqual(webviewTabs('aelab.results').map((t) => t.label).sort(), ['Results: preview-b / 20260103-000000-bbbb', 'Results: preview-c / 20260103-000000-cccc']);
  });

  it('titles Compare tabs by their runs, and marks a Results tab whose run folder was deleted', async () => {
    const a = await api();
    const x = copyFixture('titled-x', '20260104-000000-xxxx');
    const y = copyFixture('titled-y', '20260104-000000-yyyy');
    await vscode.commands.executeCommand('aelab.compareRuns', vscode.Uri.file(x), [vscode.Uri.file(x), vscode.Uri.file(y)]);
    await waitFor('the compare tab', () => webviewTabs('aelab.compare').find((t) => t.label === 'Compare: titled-x, titled-y'), 20_000);
    await vscode.commands.executeCommand('aelab.openResults', vscode.Uri.file(y));
    await waitFor('the results panel', () => a.panels.describe().find((p) => p.kind === 'results' && p.runDirs[0] === y && p.ready), 20_000);
    fs.rmSync(y, { recursive: true, force: true });
    await waitFor('the Results tab says deleted', () => webviewTabs('aelab.results').find((t) => t.label.endsWith('(deleted)')), 20_000);
    await waitFor('the Compare tab counts only what exists', () => webviewTabs('aelab.compare').find((t) => t.label === 'Compare: titled-x'), 20_000);
  });
});
