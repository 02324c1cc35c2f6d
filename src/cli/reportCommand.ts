// `aelab report TARGET... -o DIR [--figures svg+png|svg] [--per-run all|representative|summary]
// [--samples N]`: writes DIR/report.md, DIR/report.html and DIR/figures/. Bad options are usage
// errors; unreadable runs are input errors; nothing is written for either.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { DEFAULT_REPORT_OPTIONS, MAX_SAMPLE_ROWS, REPORT_FIGURE_FILES, REPORT_PER_RUN, ReportOptions } from '../report/reportOptions';
import { writeReport } from '../report/writeReport';
import { EXIT, Io, UsageError } from './cliTypes';

function reportOptionsFrom(values: { figures?: string; 'per-run'?: string; samples?: string }): ReportOptions {
  const options = { ...DEFAULT_REPORT_OPTIONS };
  if (values.figures !== undefined) {
    if (!(REPORT_FIGURE_FILES as readonly string[]).includes(values.figures)) throw new UsageError(`--figures ${values.figures}: expected ${REPORT_FIGURE_FILES.join(' or ')}`);
    options.figures = values.figures as ReportOptions['figures'];
  }
  if (values['per-run'] !== undefined) {
    if (!(REPORT_PER_RUN as readonly string[]).includes(values['per-run'])) throw new UsageError(`--per-run ${values['per-run']}: expected ${REPORT_PER_RUN.join(', ')}`);
    options.perRun = values['per-run'] as ReportOptions['perRun'];
  }
  if (values.samples !== undefined) {
    const n = Number(values.samples);
    if (!/^\d+$/.test(values.samples) || n > MAX_SAMPLE_ROWS) throw new UsageError(`--samples ${values.samples}: expected a whole number from 0 to ${MAX_SAMPLE_ROWS}`);
    options.samples = n;
  }
  return options;
}

export function commandReport(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { out: { type: 'string', short: 'o' }, 'runs-dir': { type: 'string' }, figures: { type: 'string' }, 'per-run': { type: 'string' }, samples: { type: 'string' } },
  });
  if (positionals.length === 0) throw new UsageError('report takes an experiment file, run folders or folders of runs');
  if (!values.out) throw new UsageError('report needs -o DIR (where report.md, report.html and figures/ go)');
  const options = reportOptionsFrom(values);
  const runsDir = path.resolve(io.cwd, values['runs-dir'] ?? path.join('.aelab', 'runs'));
  try {
    const written = writeReport(positionals.map((p) => path.resolve(io.cwd, p)), path.resolve(io.cwd, values.out), runsDir, options);
    io.out(`report of ${written.runs} run(s)${written.skipped ? ` (${written.skipped} not completed, skipped)` : ''}: ${written.markdown}, ${written.html}, ${written.figures.length} figure(s) as SVG${written.pngs ? ' and PNG (2x)' : ''}`);
    if (written.pngProblem) io.err(`PNG figures not written: ${written.pngProblem}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof InputError) {
      io.err(err.message);
      return EXIT.invalidInput;
    }
    throw err;
  }
}
