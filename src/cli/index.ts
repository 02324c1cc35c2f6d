// Entry of the `aelab` bundle (dist/cli.js).
import * as path from 'node:path';
import { main } from './main';

// `aelab show ... | head`: the reader left; stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  interactive: Boolean(process.stderr.isTTY && process.stdout.isTTY),
  cwd: process.cwd(),
  wasmDir: path.join(__dirname, 'wasm'),
  workerPath: path.join(__dirname, 'worker.js'),
  cliPath: __filename,
}).then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`aelab: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
