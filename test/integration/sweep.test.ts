// Run Sweep in the real extension host: the CLI's sweep engine in a child process, one progress
// notification, the sweep grouped in the tree with its points' states.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SweepOutcome } from '../../src/extension/commands/runSweep';
import type { SweepNodeModel } from '../../src/extension/model/treeModel';
import { api, experimentNamed, extension, runsRoot, uriOf, waitFor, workspaceRoot } from './helpers';

const FILE = 'host-sweep.aelab.yaml';
const LONG = 'host-sweep-long.aelab.yaml';

describe('Run Sweep', function () {
  this.timeout(180_000);

  before(function () {
    assert.ok(fs.existsSync(path.join(extension().extensionPath, 'dist', 'cli.js')), 'dist/cli.js is in the extension');
    fs.writeFileSync(path.join(workspaceRoot(), FILE), `name: host-sweep
seed: 1
data: { trainLimit: 300, testLimit: 100 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 50 }
sweep:
  parameters:
    corruption.level: [0.2, 0.8]
`);
    fs.writeFileSync(path.join(workspaceRoot(), LONG), `name: host-sweep-long
seed: 1
data: { trainLimit: 300, testLimit: 100 }
model: { architecture: fcn-simple }
training: { epochs: 500, batchSize: 50 }
sweep:
  parameters:
    corruption.level: [0.2, 0.5, 0.8]
`);
  });

  after(() => {
    fs.rmSync(path.join(workspaceRoot(), LONG), { force: true });
    fs.rmSync(path.join(runsRoot(), 'host-sweep-long'), { recursive: true, force: true });
    fs.rmSync(path.join(runsRoot(), '.sweeps', 'host-sweep-long'), { recursive: true, force: true });
    fs.rmSync(path.join(workspaceRoot(), FILE), { force: true });
    fs.rmSync(path.join(runsRoot(), 'host-sweep'), { recursive: true, force: true });
    fs.rmSync(path.join(runsRoot(), '.sweeps', 'host-sweep'), { recursive: true, force: true });
  });

  it('runs both points and shows them under one sweep node in the tree', async () => {
    const a = await api();
    const outcome = await vscode.commands.executeCommand<SweepOutcome | undefined>('aelab.runSweep', uriOf(FILE));
    assert.ok(outcome, 'the sweep started');
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.sweep?.counts.completed, 2);
    const experiment = await waitFor('the experiment in the tree', () => experimentNamed(a, 'host-sweep'), 20_000, 200);
    const children = await a.tree.getChildren(experiment);
    const sweep = children.find((c): c is SweepNodeModel => c.kind === 'sweep');
    assert.ok(sweep, 'a sweep node');
    assert.match(sweep.description, /^2\/2 done/);
    const points = await a.tree.getChildren(sweep);
    assert.deepEqual(points.map((p) => (p.kind === 'run' ? [p.label, p.state] : [])), [
      ['#0 corruption.level=0.2 seed=1', 'completed'], ['#1 corruption.level=0.8 seed=1', 'completed'],
    ]);
  });

  it('Open Study and Generate Report on the sweep node take its completed points\' runs', async () => {
    const a = await api();
    const experiment = await waitFor('the experiment in the tree', () => experimentNamed(a, 'host-sweep'), 20_000, 200);
    const sweep = (await a.tree.getChildren(experiment)).find((c): c is SweepNodeModel => c.kind === 'sweep');
    assert.ok(sweep, 'a sweep node');
    const pointDirs = sweep.sweep.points.map((p) => p.runDir as string);
    assert.equal(pointDirs.filter(Boolean).length, 2);
    const uris = await vscode.commands.executeCommand<vscode.Uri[]>('aelab.openStudy', sweep, [sweep]);
    assert.deepEqual(uris.map((u) => u.fsPath), pointDirs);
    await waitFor('a ready study panel over the sweep', () => a.panels.describe().find((p) => p.kind === 'study' && p.ready
      && [...p.runDirs].sort().join() === [...pointDirs].sort().join()), 20_000);
    const out = path.join(workspaceRoot(), 'sweep-report-out');
    try {
      const html = await vscode.commands.executeCommand<string>('aelab.generateReport', sweep, [sweep], out);
      assert.equal(html, path.join(out, 'report.html'));
      const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
      for (const dir of pointDirs) assert.ok(md.includes(path.basename(dir)), `${dir} is in the report`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
    // From the palette (no argument) with the sweep's experiment in the active editor.
    await vscode.window.showTextDocument(uriOf(FILE));
    try {
      const fromPalette = await vscode.commands.executeCommand<vscode.Uri[]>('aelab.openStudy');
      assert.deepEqual(fromPalette.map((u) => u.fsPath), pointDirs);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    const menus = (extension().packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus['view/item/context'];
    for (const command of ['aelab.openStudy', 'aelab.generateReport']) {
      const entry = menus.find((m) => m.command === command && m.when?.includes('aelab\\.sweep'));
      assert.ok(entry?.when, `${command} is on the sweep node's menu`);
      const pattern = /viewItem =~ \/(.+)\/$/.exec(entry.when)?.[1];
      assert.ok(pattern);
      assert.deepEqual(['aelab.sweep', 'aelab.sweep.active', 'aelab.sweepPoint.queued'].map((v) => new RegExp(pattern).test(v)), [true, true, false]);
    }
    // Run Sweep belongs to the sweep (and experiment) nodes, not to each of its points.
    for (const entry of menus.filter((m) => m.command === 'aelab.runSweep')) {
      const pattern = /viewItem =~ \/(.+)\/$/.exec(entry.when ?? '')?.[1];
      assert.ok(pattern, entry.when);
      assert.deepEqual(['aelab.sweep', 'aelab.sweepPoint.queued'].map((v) => new RegExp(pattern).test(v)), [true, false], entry.when);
    }
  });

  it('Cancel Sweep stops the whole sweep: the running point ends cancelled, the rest stay queued', async () => {
    const running = vscode.commands.executeCommand<SweepOutcome | undefined>('aelab.runSweep', uriOf(LONG));
    const sweepDir = path.join(runsRoot(), '.sweeps', 'host-sweep-long');
    const runDir = await waitFor('point 0 training', () => {
      const point = JSON.parse(fs.readFileSync(path.join(sweepDir, 'points', '0.json'), 'utf8')) as { runDir?: string };
      const status = point.runDir ? JSON.parse(fs.readFileSync(path.join(point.runDir, 'status.json'), 'utf8')) as { epoch?: number } : undefined;
      return (status?.epoch ?? 0) >= 1 && point.runDir;
    }, 60_000, 200);
    assert.equal(await vscode.commands.executeCommand<boolean>('aelab.cancelSweep', uriOf(LONG)), true);
    const outcome = await running;
    assert.ok(outcome);
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.exitCode, 130);
    assert.deepEqual(outcome.sweep?.points.map((p) => p.state), ['cancelled', 'queued', 'queued']);
    const status = JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8')) as { state: string; pid?: number };
    assert.equal(status.state, 'cancelled');
    assert.equal(await vscode.commands.executeCommand<boolean>('aelab.cancelSweep', uriOf(LONG)), false, 'nothing left to cancel');
  });

  it('with aelab.slurm.enabled, submits the sweep to Slurm (a training array, then the points reusing its model) and follows it to the end', async function () {
    try {
      execFileSync('sinfo', ['-h', '-o', '%T'], { timeout: 20_000, stdio: 'ignore' });
    } catch (err) {
      if (process.env.CI === 'true') throw new Error(`Slurm is not running (scripts/slurm-cluster.sh start): ${String(err)}`);
      console.log('      (skipped: no Slurm cluster here; scripts/slurm-cluster.sh start)');
      this.skip();
    }
    fs.rmSync(path.join(runsRoot(), '.sweeps', 'host-sweep'), { recursive: true, force: true });
    const config = vscode.workspace.getConfiguration('aelab.slurm');
    await config.update('enabled', true, vscode.ConfigurationTarget.Workspace);
    await config.update('parallel', 2, vscode.ConfigurationTarget.Workspace);
    try {
      const outcome = await vscode.commands.executeCommand<SweepOutcome | undefined>('aelab.runSweep', uriOf(FILE));
      assert.ok(outcome);
      assert.equal(outcome.exitCode, 0);
      assert.equal(outcome.sweep?.counts.completed, 2);
      // The two points share one training setting: point 0 trains, point 1 scores with its model after it.
      assert.equal(outcome.sweep?.slurmJobs.length, 2);
      const [trainJob] = outcome.sweep?.slurmJobs ?? [];
      const script = fs.readFileSync(path.join(runsRoot(), '.sweeps', 'host-sweep', 'job.sbatch'), 'utf8');
      assert.match(script, /^#SBATCH --array=0%2$/m);
      const reuse = fs.readFileSync(path.join(runsRoot(), '.sweeps', 'host-sweep', 'job-reuse.sbatch'), 'utf8');
      assert.match(reuse, /^#SBATCH --array=1%2$/m);
      assert.ok(reuse.includes(`#SBATCH --dependency=afterany:${trainJob}`), reuse);
    } finally {
      await config.update('enabled', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('parallel', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
