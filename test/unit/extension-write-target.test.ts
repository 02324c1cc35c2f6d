// The symlink and path rule (issue 9, docs/RUN-FORMAT.md): "Use this threshold" writes only into
// a real *.aelab.yaml inside an open workspace folder, whatever a run's config.json claims, and a
// workspace's default runs folder cannot lead outside it through a symbolic link.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { runsDirEscapes } from '../../src/core/runFolderLifecycle';
import { experimentWriteTarget } from '../../src/extension/model/writeTarget';

describe('write targets: symlinks and paths', () => {
  const ws = fs.realpathSync(tempDir('aelab-ws-'));
  const outside = fs.realpathSync(tempDir('aelab-outside-'));
  fs.writeFileSync(path.join(ws, 'a.aelab.yaml'), 'name: a\n');
  fs.writeFileSync(path.join(outside, 'victim.aelab.yaml'), 'name: victim\n');
  fs.writeFileSync(path.join(ws, 'notes.txt'), 'x');
  fs.symlinkSync(path.join(outside, 'victim.aelab.yaml'), path.join(ws, 'link.aelab.yaml'));
  fs.symlinkSync(path.join(ws, 'a.aelab.yaml'), path.join(ws, 'alias.aelab.yaml'));

  it('writes an experiment file of the workspace, at its real path', () => {
    assert.deepEqual(experimentWriteTarget(path.join(ws, 'a.aelab.yaml'), [ws]), { file: path.join(ws, 'a.aelab.yaml') });
    assert.deepEqual(experimentWriteTarget(path.join(ws, 'alias.aelab.yaml'), [ws]), { file: path.join(ws, 'a.aelab.yaml') });
  });

  it('refuses files outside the workspace, links that lead out, non-experiment files and relative paths', () => {
    const refused = (p: string) => { const t = experimentWriteTarget(p, [ws]); return 'refused' in t ? t.refused : ''; };
    assert.match(refused(path.join(outside, 'victim.aelab.yaml')), /outside the open workspace folders/);
    assert.match(refused(path.join(ws, 'link.aelab.yaml')), /\(really .*victim\.aelab\.yaml\) is outside the open workspace folders/);
    assert.match(refused(path.join(ws, 'notes.txt')), /not an absolute path to an experiment file/);
    assert.match(refused('a.aelab.yaml'), /not an absolute path/);
    assert.match(refused(path.join(ws, 'missing.aelab.yaml')), /does not exist/);
    assert.match(refused(path.join(ws, 'a.aelab.yaml').replace(ws, outside)), /does not exist/);
    assert.ok('refused' in experimentWriteTarget(path.join(ws, 'a.aelab.yaml'), []), 'no workspace: nothing is written');
  });

  it('a default runs folder may not lead outside its workspace through a link', () => {
    assert.equal(runsDirEscapes(path.join(ws, '.aelab', 'runs'), ws), undefined, 'not created yet: fine');
    fs.mkdirSync(path.join(ws, 'inner'));
    fs.symlinkSync(path.join(ws, 'inner'), path.join(ws, '.aelab'));
    assert.equal(runsDirEscapes(path.join(ws, '.aelab', 'runs'), ws), undefined, 'a link within the workspace is fine');
    fs.rmSync(path.join(ws, '.aelab'));
    fs.symlinkSync(outside, path.join(ws, '.aelab'));
    assert.match(runsDirEscapes(path.join(ws, '.aelab', 'runs'), ws) ?? '', /leads to .* through a symbolic link, outside/);
  });
});
