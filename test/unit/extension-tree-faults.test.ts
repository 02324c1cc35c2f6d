// The Experiments tree at the edges (issue 9): experiment files that are FIFOs, devices or binary
// never hang or flood the tree, and a damaged run folder shows as damaged beside healthy ones.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { listRuns } from '../../src/core/runFolder';
import { buildRunNodes, readExperimentFile } from '../../src/extension/model/treeModel';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'run-fixture');

describe('extension: tree model at the edges', () => {
  const dir = tempDir('aelab-tree-faults-');

  it('reads no FIFO, device or binary file as an experiment, and says why', () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    fs.symlinkSync(path.join(dir, 'fifo'), path.join(dir, 'pipe.aelab.yaml'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.aelab.yaml'));
    fs.writeFileSync(path.join(dir, 'bin.aelab.yaml'), new Uint8Array([0x6e, 0, 0x61, 0, 0xff, 0xfe, 0, 0, 1, 2, 3]));
    const started = Date.now();
    const pipe = readExperimentFile(path.join(dir, 'pipe.aelab.yaml'));
    const zero = readExperimentFile(path.join(dir, 'zero.aelab.yaml'));
    const bin = readExperimentFile(path.join(dir, 'bin.aelab.yaml'));
    assert.ok(Date.now() - started < 1000);
    assert.match(pipe.firstError ?? '', /expected a regular file, found a named pipe \(FIFO\)/);
    assert.match(zero.firstError ?? '', /expected a regular file, found a device/);
    assert.match(bin.firstError ?? '', /bin\.aelab\.yaml:1:1: not (a text file|UTF-8 text)/);
    for (const info of [pipe, zero, bin]) assert.equal(info.valid, false);
  });

  it('shows a damaged run as failed with the reason, and the healthy run beside it as completed', () => {
    const runs = path.join(dir, 'runs', 'exp');
    for (const [id, summary] of [['20260101-000000-good', undefined], ['20260102-000000-bad0', '{"operatingPoint":null}']] as const) {
      fs.mkdirSync(path.join(runs, id), { recursive: true });
      for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(runs, id, f));
      if (summary) fs.writeFileSync(path.join(runs, id, 'summary.json'), summary);
    }
    const nodes = buildRunNodes('exp', listRuns(path.join(dir, 'runs'), 'exp'), [], Date.now());
    assert.deepEqual(nodes.map((n) => [n.label, n.state]), [['20260102-000000-bad0', 'failed'], ['20260101-000000-good', 'completed']]);
    assert.match(nodes[0].description, /^damaged: summary\.json: /);
    assert.match(nodes[1].description, /^AUROC /);
  });
});
