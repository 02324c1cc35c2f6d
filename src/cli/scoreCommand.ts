// `aelab score RUN PATH... [--threshold X | --strategy NAME] [--out FILE.csv]`: one line per
// image `path,score,flagged` on stdout; --out writes FILE.csv and FILE.json. Unreadable files
// are warnings on stderr; exit 0 when every readable image was scored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import type { BackendPreference } from '../core/protocol';
import { THRESHOLD_STRATEGIES, type ThresholdStrategy } from '../core/runFormat';
import { writeFileAtomic } from '../core/runFolder';
import { EXIT, Io, UsageError } from './cliTypes';
import { resolveRunDir } from './runDirs';

export async function commandScore(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { threshold: { type: 'string' }, strategy: { type: 'string' }, out: { type: 'string' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  if (positionals.length < 2) throw new UsageError('score takes a run (folder or id) and one or more image files or folders');
  if (values.threshold !== undefined && values.strategy !== undefined) throw new UsageError('give --threshold or --strategy, not both');
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (values.threshold.trim() === '' || !Number.isFinite(threshold)) throw new UsageError(`--threshold must be a number, got "${values.threshold}"`);
  }
  const strategy = values.strategy as ThresholdStrategy | undefined;
  if (strategy !== undefined && !THRESHOLD_STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${THRESHOLD_STRATEGIES.join(', ')}, got "${values.strategy}"`);
  const backend = (values.backend ?? 'auto') as BackendPreference;
  const runsDir = path.resolve(io.cwd, values['runs-dir'] ?? path.join('.aelab', 'runs'));
  const [target, ...paths] = positionals;
  const runDir = resolveRunDir(target, runsDir, io.cwd);
  if (!runDir) {
    io.err(`${target}: no such run (looked for a folder with status.json, and for a run id under ${runsDir})`);
    return EXIT.invalidInput;
  }
  const { selectBackend } = await import('../engine/run.js');
  const { scoreFiles, scoresCsv } = await import('../engine/scoreFiles.js');
  await selectBackend(backend, io.wasmDir, () => undefined);
  let result;
  try {
    result = await scoreFiles(runDir, paths.map((p) => path.resolve(io.cwd, p)), { threshold, strategy });
  } catch (err) {
    if (err instanceof InputError) {
      io.err(err.message);
      return EXIT.invalidInput;
    }
    throw err;
  }
  const display = (file: string) => path.relative(io.cwd, file) || file;
  for (const warning of result.warnings) io.err(`warning: ${warning}`);
  const csv = scoresCsv(result, display);
  io.out(csv.trimEnd());
  const flagged = result.scored.filter((r) => r.flagged).length;
  io.err(`${result.scored.length} image(s) scored (${result.scoreKind}, ${result.height}x${result.width}), ${flagged} flagged at threshold ${result.threshold} (${result.thresholdSource}); ${result.warnings.length} warning(s)`);
  if (values.out) {
    const csvFile = path.resolve(io.cwd, values.out);
    const jsonFile = csvFile.replace(/\.csv$/i, '') + '.json';
    try {
      fs.mkdirSync(path.dirname(csvFile), { recursive: true });
      writeFileAtomic(csvFile, csv);
      writeFileAtomic(jsonFile, JSON.stringify({
        run: runDir, threshold: result.threshold, thresholdSource: result.thresholdSource, score: result.scoreKind,
        images: result.scored.map((r) => ({ path: display(r.file), score: r.score, flagged: r.flagged })), warnings: result.warnings,
      }, null, 2) + '\n');
    } catch (err) {
      io.err(`cannot write ${display(csvFile)}: ${(err as Error).message}`);
      return EXIT.runFailed;
    }
    io.err(`wrote ${display(csvFile)} and ${display(jsonFile)}`);
  }
  if (result.scored.length === 0) {
    io.err('no image could be scored');
    return EXIT.invalidInput;
  }
  return EXIT.ok;
}
