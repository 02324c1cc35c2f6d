import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, runsRoot, waitFor, workspaceRoot } from './helpers';

const BROKEN = [
  'name: broken',
  'training:',
  '  epochs: -1',
  '  optimiser: adam',
  '',
].join('\n');

function aelabDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'aelab');
}

/** Range of the first occurrence of `needle` on line `line` (0-based). */
function rangeOf(doc: vscode.TextDocument, line: number, needle: string): vscode.Range {
  const col = doc.lineAt(line).text.indexOf(needle);
  assert.ok(col >= 0, `${needle} on line ${line + 1}`);
  return new vscode.Range(line, col, line, col + needle.length);
}

describe('diagnostics', () => {
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;

  before(async () => {
    await api();
    const dir = path.join(workspaceRoot(), 'scratch');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'broken.aelab.yaml');
    fs.writeFileSync(file, BROKEN);
    uri = vscode.Uri.file(file);
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(path.join(workspaceRoot(), 'scratch'), { recursive: true, force: true });
  });

  it('reports schema errors at the exact range of the offending value and key', async () => {
    const diags = await waitFor('two diagnostics', () => {
      const d = aelabDiagnostics(uri);
      return d.length >= 2 ? d : undefined;
    });
    const value = diags.find((d) => d.range.start.line === 2);
    const key = diags.find((d) => d.range.start.line === 3);
    assert.ok(value && key, diags.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`).join('\n'));
    assert.deepEqual(value.range, rangeOf(doc, 2, '-1'));
    assert.match(value.message, /training\.epochs/);
    assert.equal(value.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual(key.range, rangeOf(doc, 3, 'optimiser'));
    assert.match(key.message, /unknown key "optimiser".*did you mean "optimizer"/);
  });

  it('updates as the user types and clears when fixed', async () => {
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.replace(rangeOf(doc, 2, '-1'), '2'));
    await waitFor('only the key problem left', () => aelabDiagnostics(uri).length === 1);
    await editor.edit((e) => e.replace(rangeOf(doc, 3, 'optimiser'), 'optimizer'));
    await waitFor('no problems', () => aelabDiagnostics(uri).length === 0);
  });

  it('reports YAML syntax errors where they are', async () => {
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount - 1, 0), 'evaluation: [1, 2\n'));
    const diags = await waitFor('a syntax error', () => {
      const d = aelabDiagnostics(uri);
      return d.length > 0 ? d : undefined;
    });
    assert.ok(diags.some((d) => d.range.start.line >= 4), diags.map((d) => `${d.range.start.line}: ${d.message}`).join('\n'));
    await vscode.commands.executeCommand('undo');
    await waitFor('cleared after undo', () => aelabDiagnostics(uri).length === 0);
  });

  it('refuses to train an invalid experiment: nothing started or written', async () => {
    const a = await api();
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.replace(rangeOf(doc, 2, '2'), 'many'));
    await doc.save();
    const runsBefore = a.runs.liveRuns.length;
    const key = await vscode.commands.executeCommand<string | undefined>('aelab.trainAutoencoder', uri);
    assert.equal(key, undefined);
    assert.equal(a.runs.liveRuns.length, runsBefore, 'no run queued');
    assert.equal(fs.existsSync(path.join(runsRoot(), 'broken')), false, 'no run folder');
    assert.ok(aelabDiagnostics(uri).length > 0, 'the problem is shown');
    const result = await vscode.commands.executeCommand<{ ok: boolean; errors: number }>('aelab.validateExperiment', uri);
    assert.deepEqual({ ok: result.ok, errors: result.errors }, { ok: false, errors: 1 });
  });

  it('explains keys on hover and completes keys and values from the schema', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(2, 4));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /training\.epochs/);
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(4, 0), '  \n'));
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(4, 2));
    const labels = list.items.filter((i) => i.kind === vscode.CompletionItemKind.Property || i.kind === vscode.CompletionItemKind.Module).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('learningRate'), labels.join(', '));
    assert.ok(!labels.includes('epochs'), 'keys already present are not offered');
    await vscode.commands.executeCommand('undo');
  });
  it('offers a quick fix for a "did you mean" key, and applying it clears the problem', async () => {
    const file = path.join(workspaceRoot(), 'scratch', 'typo.aelab.yaml');
    fs.writeFileSync(file, 'name: typo\ntraining:\n  optimiser: adam\n');
    const typoUri = vscode.Uri.file(file);
    const typoDoc = await vscode.workspace.openTextDocument(typoUri);
    await vscode.window.showTextDocument(typoDoc);
    const [diag] = await waitFor('the unknown-key problem', () => {
      const d = aelabDiagnostics(typoUri);
      return d.length === 1 ? d : undefined;
    });
    assert.deepEqual(diag.range, rangeOf(typoDoc, 2, 'optimiser'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', typoUri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((x) => x.title === 'Change "optimiser" to "optimizer"');
    assert.ok(fix?.edit, actions.map((x) => x.title).join(', '));
    assert.equal(fix.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(typoDoc.lineAt(2).text, '  optimizer: adam');
    await waitFor('no problems after the fix', () => aelabDiagnostics(typoUri).length === 0);
  });
});
