import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, extension } from './helpers';

interface ContributedCommand { command: string; title: string; category?: string }

describe('activation', () => {
  it('activates and reports its activation time', async () => {
    const a = await api();
    assert.equal(extension().isActive, true);
    assert.ok(a.activationMs > 0 && a.activationMs < 5000, `activation took ${a.activationMs} ms`);
    console.log(`      activation: ${a.activationMs.toFixed(1)} ms (mode ${process.env.AELAB_TEST_MODE ?? '?'}, VS Code ${vscode.version})`);
  });

  it('tests the packaged extension in --vsix mode, the working tree otherwise', () => {
    const extPath = extension().extensionPath;
    const repo = process.env.AELAB_TEST_REPO;
    if (process.env.AELAB_TEST_MODE === 'vsix') {
      assert.ok(repo && !extPath.startsWith(repo), `${extPath} should be the installed copy, not the repository`);
      assert.match(extPath, /extensions/);
    } else if (process.env.AELAB_TEST_MODE === 'dev') {
      assert.ok(extPath.length > 0);
    }
    console.log(`      extension under test: ${extPath}`);
  });

  it('registers every contributed command, all under aelab. in the Autoencoder Lab category', async () => {
    await api();
    const contributed = (extension().packageJSON as { contributes?: { commands?: ContributedCommand[] } }).contributes?.commands ?? [];
    const ids = contributed.map((c) => c.command);
    for (const expected of [
      'aelab.trainAutoencoder', 'aelab.cancelTraining', 'aelab.openResults', 'aelab.compareRuns', 'aelab.newExperiment',
      'aelab.validateExperiment', 'aelab.deleteRun', 'aelab.revealRunFolder', 'aelab.showLog',
    ]) assert.ok(ids.includes(expected), `${expected} is contributed`);
    for (const c of contributed) {
      assert.match(c.command, /^aelab\./);
      assert.equal(c.category, 'Autoencoder Lab', `${c.command} category`);
    }
    const registered = new Set((await vscode.commands.getCommands(true)).filter((c) => c.startsWith('aelab.')));
    for (const id of ids) assert.ok(registered.has(id), `${id} is registered`);
    // Nothing registered that the manifest does not declare (no hidden commands).
    const undeclared = [...registered].filter((c) => !ids.includes(c) && !c.startsWith('aelab.experiments.'));
    assert.deepEqual(undeclared, []);
  });

  it('declares the view container, settings and yamlValidation', () => {
    const pkg = extension().packageJSON as {
      contributes: {
        viewsContainers: { activitybar: { id: string; title: string }[] };
        views: Record<string, { id: string }[]>;
        configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> };
        yamlValidation: { fileMatch: string; url: string }[];
      };
    };
    const c = pkg.contributes;
    assert.ok(c.viewsContainers.activitybar.some((v) => v.title === 'Autoencoder Lab'));
    assert.ok(Object.values(c.views).flat().some((v) => v.id === 'aelab.experiments'));
    const props = c.configuration.properties;
    assert.equal(props['aelab.maxConcurrentRuns'].default, 1);
    assert.deepEqual(props['aelab.backend'].enum, ['auto', 'tensorflow', 'wasm', 'cpu']);
    assert.deepEqual(props['aelab.threads'].enum, ['auto', '1', '2']);
    assert.ok('aelab.runsFolder' in props && 'aelab.openResultsOnComplete' in props);
    const schema = c.yamlValidation.find((y) => y.fileMatch === '*.aelab.yaml');
    assert.ok(schema);
    assert.ok(fs.existsSync(path.join(extension().extensionPath, schema.url)), `${schema.url} is packaged`);
  });
});
