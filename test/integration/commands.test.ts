import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateExperiment } from '../../src/core/config';
import { writeManualThreshold } from '../../src/extension/panels/useThreshold';
import { api, experimentNamed, extension, runsOf, runsRoot, waitFor, workspaceRoot } from './helpers';

describe('commands', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('Open Results opens the run\'s panel, whose webview loads under the CSP and asks for images', async () => {
    const a = await api();
    // A scored run (test/fixtures/run-fixture: 500 test images with images.bin) copied into the workspace.
    const dir = path.join(runsRoot(), 'panel-fixture', '20260102-000000-f1x7');
    fs.cpSync(path.join(process.env.AELAB_TEST_REPO as string, 'test', 'fixtures', 'run-fixture'), dir, { recursive: true });
    const uri = await vscode.commands.executeCommand<vscode.Uri>('aelab.openResults', vscode.Uri.file(dir));
    assert.equal(uri.fsPath, dir);
    const panel = await waitFor('a ready results panel that loaded its sample images', () => a.panels.describe().find((p) => p.kind === 'results' && p.runDirs[0] === dir && p.ready && p.imagesServed > 0), 20_000);
    assert.ok(panel.imagesServed >= 8, `the grid asked for ${panel.imagesServed} images`);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('aelab.results') && t.isActive);
    assert.ok(tab && tab.label.includes('20260102-000000-f1x7'), `results tab: ${tab?.label}`);
  });

  it('Compare Runs opens one panel over the selected runs', async () => {
    const a = await api();
    const runs = await runsOf(a, 'baseline');
    const dirs = runs.map((r) => r.dir as string).filter(Boolean);
    assert.ok(dirs.length >= 2);
    const uris = await vscode.commands.executeCommand<vscode.Uri[]>('aelab.compareRuns', runs[0], runs);
    assert.deepEqual(uris.map((u) => u.fsPath).sort(), [...dirs].sort());
    await waitFor('a ready compare panel', () => a.panels.describe().find((p) => p.kind === 'compare' && p.ready && p.runDirs.length === dirs.length), 20_000);
  });

  it('Open Study opens a ready study panel; Generate Report writes the report of the selected runs', async () => {
    const a = await api();
    const runs = await runsOf(a, 'baseline');
    const dirs = runs.map((r) => r.dir as string).filter(Boolean);
    const uris = await vscode.commands.executeCommand<vscode.Uri[]>('aelab.openStudy', runs[0], runs);
    assert.deepEqual(uris.map((u) => u.fsPath).sort(), [...dirs].sort());
    await waitFor('a ready study panel', () => a.panels.describe().find((p) => p.kind === 'study' && p.ready && p.runDirs.length === dirs.length), 20_000);
    const out = path.join(workspaceRoot(), 'report-out');
    try {
      const html = await vscode.commands.executeCommand<string>('aelab.generateReport', runs[0], runs, out);
      assert.equal(html, path.join(out, 'report.html'));
      const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
      for (const r of runs.filter((x) => x.state === 'completed')) assert.ok(md.includes(r.runId ?? path.basename(r.dir as string)), `${r.dir} is in the report`);
      assert.ok(fs.readdirSync(path.join(out, 'figures')).some((f) => f.endsWith('.svg')));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('"Use this threshold" writes strategy manual + value through a WorkspaceEdit, keeping comments', async () => {
    const file = path.join(workspaceRoot(), 'threshold-target.aelab.yaml');
    fs.writeFileSync(file, '# my notes\nname: threshold-target\nevaluation:\n  threshold:\n    strategy: percentile  # was the default\n    percentile: 99.5\n');
    try {
      await writeManualThreshold(file, 0.0123);
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /^# my notes$/m);
      assert.match(text, /strategy: manual/);
      assert.match(text, /value: 0\.0123/);
      assert.match(text, /percentile: 99\.5/);
      const result = validateExperiment(text, file);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      assert.equal(result.experiment?.evaluation.threshold.value, 0.0123);
      // The edit went through the open document (a WorkspaceEdit, so Undo can revert it).
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
      assert.ok(doc, 'the experiment document is open');
      assert.equal(doc.getText(), text);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('Show Log opens a run\'s log; Reveal Run Folder reveals it', async () => {
    const a = await api();
    const [done] = await runsOf(a, 'baseline');
    const log = await vscode.commands.executeCommand<vscode.Uri>('aelab.showLog', done);
    assert.equal(path.basename(log.fsPath), 'run.log');
    await waitFor('the log editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === log.fsPath);
    const revealed = await vscode.commands.executeCommand<vscode.Uri>('aelab.revealRunFolder', done);
    assert.equal(revealed.fsPath, done.dir);
  });

  it('New Experiment writes a valid file from a template and opens it', async function () {
    const a = await api();
    const examples = path.join(extension().extensionPath, 'examples');
    const templates = fs.existsSync(examples) ? fs.readdirSync(examples).filter((f) => f.endsWith('.aelab.yaml')) : [];
    assert.ok(templates.length > 0, `the extension ships example templates in ${examples}`);
    const template = templates[0].replace(/\.aelab\.yaml$/, '');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('aelab.newExperiment', { template, name: 'from-template' });
    assert.ok(uri, 'a file was written');
    assert.equal(uri.fsPath, path.join(workspaceRoot(), 'from-template.aelab.yaml'));
    const result = validateExperiment(fs.readFileSync(uri.fsPath, 'utf8'), 'from-template.aelab.yaml');
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.experiment?.name, 'from-template');
    await waitFor('the new file in the editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === uri.fsPath);
    await waitFor('the new experiment in the tree', async () => (await experimentNamed(a, 'from-template')) !== undefined);
    fs.rmSync(uri.fsPath);
  });
});
