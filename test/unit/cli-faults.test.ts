// The CLI at the edges (issue 9). In-process: special and hostile experiment files, damaged run
// folders, runs dirs that cannot hold runs. Through the bundle (dist/cli.js, needs npm run build):
// Ctrl-C / SIGTERM during scoring or saving ends `cancelled` with exit 130, and `show | head`
// ends quietly on EPIPE.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { EXIT } from '../../src/cli/main';
import { RUN_FILES } from '../../src/core/runFormat';
import { runCli } from './support/cliHarness';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'run-fixture');

const aelab = (cwd: string, ...argv: string[]) => runCli(cwd, argv);

function copyRun(dir: string, overrides: Record<string, string> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  for (const [name, text] of Object.entries(overrides)) fs.writeFileSync(path.join(dir, name), text);
}

const EXPERIMENT = `name: faults
seed: 2
data: { trainLimit: 300, testLimit: 6000 }
corruption: { fraction: 0.2, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 50 }
`;

describe('aelab CLI at the edges', function () {
  this.timeout(120_000);
  const dir = tempDir('aelab-cli-faults-');
  fs.writeFileSync(path.join(dir, 'faults.aelab.yaml'), EXPERIMENT);

  it('validate refuses devices, FIFOs and oversized files at once, without reading them', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.aelab.yaml')]);
    fs.writeFileSync(path.join(dir, 'huge.aelab.yaml'), `name: huge\n#${'x'.repeat(2 * 1024 * 1024)}\n`);
    const zero = await aelab(dir, 'validate', '/dev/zero');
    assert.equal(zero.code, EXIT.invalidInput);
    assert.match(zero.err, /^\/dev\/zero: expected a regular file, found a device$/);
    const pipe = await aelab(dir, 'validate', 'pipe.aelab.yaml');
    assert.match(pipe.err, /pipe\.aelab\.yaml: expected a regular file, found a named pipe \(FIFO\)$/);
    const huge = await aelab(dir, 'validate', 'huge.aelab.yaml');
    assert.match(huge.err, /huge\.aelab\.yaml: 2097165 bytes, more than the 1048576-byte limit for this file$/);
    assert.ok(zero.ms + pipe.ms + huge.ms < 3000, `${zero.ms + pipe.ms + huge.ms} ms`);
    fs.rmSync(path.join(dir, 'pipe.aelab.yaml'));
    fs.rmSync(path.join(dir, 'huge.aelab.yaml'));
  });

  it('validate describes binary and UTF-16 input in one short line; deep nesting and 20,000 unknown keys are located and capped', async () => {
    const garbage = new Uint8Array(1024 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + (i >> 7)) & 255;
    const cases: Record<string, string | Uint8Array> = {
      'binary.aelab.yaml': garbage,
      'utf16.aelab.yaml': new Uint8Array(Buffer.from('\ufeffname: wide\nseed: 1\n', 'utf16le')),
      'deep.aelab.yaml': `name: deep\ndata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      'keys.aelab.yaml': `name: keys\n${Array.from({ length: 20000 }, (_, i) => `k${i}: 1`).join('\n')}\n`,
    };
    fs.mkdirSync(path.join(dir, 'hostile'), { recursive: true });
    for (const [name, content] of Object.entries(cases)) fs.writeFileSync(path.join(dir, 'hostile', name), content, { flag: 'w' });
    const binary = await aelab(path.join(dir, 'hostile'), 'validate', 'binary.aelab.yaml');
    assert.equal(binary.code, EXIT.invalidInput);
    assert.match(binary.err, /binary\.aelab\.yaml:1:1: not a text file: it holds NUL bytes/);
    assert.ok(binary.err.length < 300, `${binary.err.length} characters`);
    const utf16 = await aelab(path.join(dir, 'hostile'), 'validate', 'utf16.aelab.yaml');
    assert.match(utf16.err, /utf16\.aelab\.yaml:1:1: not UTF-8 text: it looks like UTF-16/);
    const deep = await aelab(path.join(dir, 'hostile'), 'validate', 'deep.aelab.yaml');
    assert.match(deep.err, /deep\.aelab\.yaml:2:\d+: the YAML nests too deeply to read/);
    assert.doesNotMatch(deep.err, /call stack/);
    const keys = await aelab(path.join(dir, 'hostile'), 'validate', 'keys.aelab.yaml');
    const lines = keys.err.split('\n');
    assert.equal(lines.length, 101);
    assert.match(lines[0], /keys\.aelab\.yaml:2:1: .*k0/);
    assert.match(lines[100], /19900 more problems not shown/);
    assert.ok(keys.ms < 10_000, `${keys.ms} ms for 20,000 keys`);
  });

  it('list never blocks on symlinked experiment files (FIFO, /dev/zero) and lists a damaged run alone', async () => {
    const root = path.join(dir, 'repo');
    fs.mkdirSync(root, { recursive: true });
    fs.copyFileSync(path.join(dir, 'faults.aelab.yaml'), path.join(root, 'faults.aelab.yaml'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    fs.symlinkSync(path.join(root, 'fifo'), path.join(root, 'pipe.aelab.yaml'));
    fs.symlinkSync('/dev/zero', path.join(root, 'zero.aelab.yaml'));
    const runs = path.join(root, '.aelab', 'runs', 'faults');
    copyRun(path.join(runs, '20260101-000000-good'));
    copyRun(path.join(runs, '20260102-000000-bad1'), { [RUN_FILES.summary]: '{}' });
    copyRun(path.join(runs, '20260103-000000-bad2'), { [RUN_FILES.status]: '[]' });
    const list = await aelab(root, 'list');
    assert.equal(list.code, EXIT.ok, list.err);
    assert.ok(list.ms < 3000, `${list.ms} ms`);
    assert.match(list.out, /faults \(faults\.aelab\.yaml\)\s+3 run\(s\)/);
    assert.match(list.out, /20260101-000000-good\s+completed\s+\d\.\d{4}\s+\d\.\d{4}/);
    assert.match(list.out, /20260102-000000-bad1\s+damaged\s+summary\.json: /);
    assert.match(list.out, /20260103-000000-bad2\s+damaged\s+status\.json: /);
    assert.match(list.out, /pipe\.aelab\.yaml\s+invalid/);
    assert.match(list.out, /zero\.aelab\.yaml\s+invalid/);

    const show = await aelab(root, 'show', '20260103-000000-bad2');
    assert.equal(show.code, EXIT.ok, show.err);
    assert.match(show.out, /damaged: status\.json: the file must be object/);
    copyRun(path.join(runs, '20260104-000000-bad3'), { [RUN_FILES.config]: '{"experiment":5}', [RUN_FILES.metrics]: 'null\n' });
    const show3 = await aelab(root, 'show', '20260104-000000-bad3');
    assert.equal(show3.code, EXIT.ok, show3.err);
    assert.match(show3.out, /damaged: config\.json: experiment must be object; metrics\.jsonl line 1: the file must be object/);
    assert.match(show3.out, /AUROC \d\.\d{4}/, 'the summary still shows');
  });

  it('a runs dir that cannot hold runs fails at once in one line, exit 2', async () => {
    fs.writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0\n');
    const file = await aelab(dir, 'run', 'faults.aelab.yaml', '--runs-dir', 'passwd', '--set', 'data.testLimit=100');
    assert.equal(file.code, EXIT.runFailed);
    assert.match(file.err, /^run failed: cannot create .*passwd: .*passwd is not a folder$/m);
    assert.doesNotMatch(file.err, /\n\s+at /, 'no stack trace');
    const proc = await aelab(dir, 'run', 'faults.aelab.yaml', '--runs-dir', '/proc/aelab-x', '--set', 'data.testLimit=100');
    assert.equal(proc.code, EXIT.runFailed);
    assert.match(proc.err, /^run failed: cannot create \/proc\/aelab-x: no such file or directory \(ENOENT\)$/m);
  });

  it('the default runs folder may not lead outside the folder through a symbolic link (a cloned .aelab)', async () => {
    const repo = path.join(dir, 'cloned');
    const elsewhere = tempDir('aelab-elsewhere-');
    fs.mkdirSync(repo);
    fs.copyFileSync(path.join(dir, 'faults.aelab.yaml'), path.join(repo, 'faults.aelab.yaml'));
    fs.symlinkSync(elsewhere, path.join(repo, '.aelab'));
    const res = await aelab(repo, 'run', 'faults.aelab.yaml');
    assert.equal(res.code, EXIT.invalidInput);
    assert.match(res.err, /leads to .* through a symbolic link, outside/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  describe('through the bundle (dist/cli.js)', () => {
    before(function () {
      assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run npm run build first');
    });

    /** Runs the CLI and sends `signal` once a line matching `when` appears. */
    function runAndSignal(args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; out: string; err: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let sent = false;
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (!sent && when.test(out)) {
            sent = true;
            child.kill(signal);
          }
        });
        child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    }

    for (const [phase, signal, threads] of [['scoring', 'SIGINT', '1'], ['saving', 'SIGTERM', '2']] as const) {
      it(`${signal} during ${phase} (--threads ${threads}): cancelled, exit 130`, async () => {
        const res = await runAndSignal(['run', 'faults.aelab.yaml', '--runs-dir', `runs-${phase}`, '--backend', 'wasm', '--threads', threads], new RegExp(`\\[${phase}\\]`), signal);
        assert.equal(res.code, EXIT.cancelled, res.out + res.err);
        assert.match(res.err, /cancelled; run folder: /);
        const [runId] = fs.readdirSync(path.join(dir, `runs-${phase}`, 'faults'));
        const runDir = path.join(dir, `runs-${phase}`, 'faults', runId);
        const status = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.status), 'utf8')) as { state: string };
        assert.equal(status.state, 'cancelled');
        assert.ok(!fs.existsSync(path.join(runDir, RUN_FILES.summary)));
      });
    }

    it('show | head: the reader leaving ends the command quietly (no EPIPE stack)', async () => {
      const runDir = path.join(dir, 'epipe-run');
      copyRun(runDir);
      const res = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'show', runDir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.destroy(); // like `head` exiting before the first line arrives
        let err = '';
        child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, err }));
      });
      assert.equal(res.err, '');
      assert.equal(res.code, 0);
    });
  });
});
