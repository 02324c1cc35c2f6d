import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { api, experimentNamed, experiments, iconId, runsOf, runsRoot, waitFor, workspaceRoot } from './helpers';

describe('experiments tree', () => {
  it('lists the fixture experiments', async () => {
    const a = await api();
    const names = (await experiments(a)).map((e) => e.file.name);
    for (const n of ['baseline', 'slow', 'tiny']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const item = a.tree.getTreeItem((await experimentNamed(a, 'baseline'))!);
    assert.equal(item.label, 'baseline');
    assert.equal(item.contextValue, 'aelab.experiment');
  });

  it('shows the recorded runs newest first with state icons and metrics', async () => {
    const a = await api();
    const runs = await runsOf(a, 'baseline');
    assert.deepEqual(runs.map((r) => r.runId), ['20260101-120000-a1b2', '20260101-110000-c3d4']);
    const [done, failed] = runs;
    assert.equal(done.state, 'completed');
    const doneItem = a.tree.getTreeItem(done);
    assert.equal(doneItem.description, 'AUROC 0.973 · F1 0.862 (percentile)');
    assert.equal(iconId(doneItem), 'pass');
    assert.equal(doneItem.contextValue, 'aelab.run.completed.results');
    const failedItem = a.tree.getTreeItem(failed);
    assert.equal(failed.state, 'failed');
    assert.equal(iconId(failedItem), 'error');
    assert.match(String(failedItem.description), /^failed: the training process killed by SIGKILL/);

    const children = await a.tree.getChildren(done);
    assert.deepEqual(children.map((c) => c.kind), ['results', 'log']);
    const results = a.tree.getTreeItem(children[0]);
    assert.equal(results.command?.command, 'aelab.openResults');
  });

  it('follows experiment files being created, renamed inside and deleted, without a reload', async () => {
    const a = await api();
    const file = path.join(workspaceRoot(), 'watched.aelab.yaml');
    fs.writeFileSync(file, 'name: watched-one\n');
    await waitFor('watched-one in the tree', async () => (await experimentNamed(a, 'watched-one')) !== undefined);
    fs.writeFileSync(file, 'name: watched-two\n');
    await waitFor('watched-two in the tree', async () => (await experimentNamed(a, 'watched-two')) !== undefined, 10_000);
    fs.rmSync(file);
    // The experiment list is cached until a file event: only the watcher can make it go.
    await waitFor('watched-two gone from the tree', async () => (await experimentNamed(a, 'watched-two')) === undefined, 10_000);
  });

  it('follows run folders appearing and disappearing on disk', async () => {
    const a = await api();
    const src = path.join(runsRoot(), 'baseline', '20260101-120000-a1b2');
    const copy = path.join(runsRoot(), 'baseline', '20260102-090000-ffff');
    const before = a.tree.refreshCount;
    fs.cpSync(src, copy, { recursive: true });
    const status = JSON.parse(fs.readFileSync(path.join(copy, 'status.json'), 'utf8')) as { runId: string };
    status.runId = '20260102-090000-ffff';
    fs.writeFileSync(path.join(copy, 'status.json'), JSON.stringify(status));
    await waitFor('a refresh from the runs-folder watcher', () => a.tree.refreshCount > before, 10_000);
    assert.equal((await runsOf(a, 'baseline'))[0].runId, '20260102-090000-ffff', 'the new run is listed first');
    // Let the copy's events drain first: the file watcher coalesces a create and a delete of the
    // same path that arrive together into nothing (seen on a loaded machine).
    let settled = a.tree.refreshCount;
    await waitFor('the watcher to go quiet', async () => {
      await new Promise((r) => setTimeout(r, 700));
      const quiet = a.tree.refreshCount === settled;
      settled = a.tree.refreshCount;
      return quiet;
    }, 10_000);
    const mid = a.tree.refreshCount;
    fs.rmSync(copy, { recursive: true });
    await waitFor('a refresh after deleting the run folder', () => a.tree.refreshCount > mid, 10_000);
    assert.equal((await runsOf(a, 'baseline'))[0].runId, '20260101-120000-a1b2');
  });

  it('shows an invalid experiment with its problem count, keeping its runs', async () => {
    const a = await api();
    const file = path.join(workspaceRoot(), 'half-broken.aelab.yaml');
    fs.writeFileSync(file, 'name: baseline\ntraining:\n  epochs: zero\n');
    try {
      const node = await waitFor('the invalid experiment', async () => (await experiments(a)).find((e) => e.file.path === file));
      assert.equal(node.file.valid, false);
      assert.equal(node.description, '1 problem');
      assert.equal(a.tree.getTreeItem(node).contextValue, 'aelab.experiment.invalid');
      assert.equal((await a.tree.getChildren(node)).length >= 2, true, 'runs of the experiment name still listed');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
