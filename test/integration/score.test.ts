// Score Images with Model... in the real workbench: a tiny run trained here (by the CLI) scores a folder of
// PNGs through the command (worker process), and the Score panel it opens got the scores and
// flags `aelab score` (dist/cli.js) gives for the same images, plus the first page's thumbnails;
// an unreadable file is a warning, not a failure.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import * as vscode from 'vscode';
import type { ScoreImagesResult } from '../../src/core/protocol';
import { api, extension, runsRoot, waitFor, workspaceRoot } from './helpers';

const execFileAsync = promisify(execFile);

/** Ten 28x28 grey PNGs: a bright square at a different place in each; the last one a noise field. */
function writeImages(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let k = 0; k < 10; k++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 28 * 28; p++) {
      const x = p % 28;
      const y = Math.floor(p / 28);
      const inSquare = Math.abs(x - 6 - 2 * k) < 4 && Math.abs(y - 14) < 4;
      const v = k === 9 ? (p * 7919) % 256 : inSquare ? 255 : 0;
      png.data.set([v, v, v, 255], 4 * p);
    }
    fs.writeFileSync(path.join(dir, `img-${k}.png`), new Uint8Array(PNG.sync.write(png)));
  }
  fs.writeFileSync(path.join(dir, 'broken.png'), new TextEncoder().encode('not a png'));
}

describe('score images with a model', function () {
  this.timeout(120_000);
  const folder = path.join(workspaceRoot(), 'score-images');

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('scores a folder in a worker and shows the scores aelab score gives in the Score panel', async () => {
    const a = await api();
    // Trained by the CLI, not the run queue: an earlier suite leaves a long run in the queue's only slot.
    const cli = path.join(extension().extensionPath, 'dist', 'cli.js');
    const node = (...args: string[]) => execFileAsync(process.execPath, [cli, ...args], { cwd: workspaceRoot(), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
    const runsDir = path.join(runsRoot(), 'tiny');
    const before = new Set(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []);
    await node('run', 'tiny.aelab.yaml');
    const made = fs.readdirSync(runsDir).filter((d) => !before.has(d));
    assert.equal(made.length, 1, `one new run folder: ${made.join(', ')}`);
    const runDir = path.join(runsDir, made[0]);
    writeImages(folder);

    const result = await vscode.commands.executeCommand<ScoreImagesResult | undefined>('aelab.scoreImages', { runDir, paths: [folder] });
    assert.ok(result, 'scored');
    assert.equal(result.files.length, 10);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0], /broken\.png/);
    const panel = await waitFor('the Score panel ready', () => a.panels.describe().find((p) => p.kind === 'score' && p.runDirs[0] === runDir && p.ready), 30_000);
    assert.equal(panel.imagesServed, 10, 'the thumbnails of all ten images went with the scores');

    const { stdout: csv } = await node('score', runDir, folder);
    const expected = csv.trim().split('\n').slice(1);
    const shown = (panel.scores ?? []).map((s) => `${path.relative(workspaceRoot(), s.file)},${s.score},${s.flagged}`);
    assert.deepEqual(shown, expected, 'the panel got the scores and flags of aelab score');
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('aelab.score'));
    assert.equal(tab?.label, `Scores: tiny / ${path.basename(runDir)}`);
  });
});
