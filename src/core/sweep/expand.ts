// A sweep (the `sweep:` section of an experiment file) expanded into its points: the cartesian
// product of the parameter values in declared key order (last key fastest), times the seeds
// (fastest of all). Every point is validated as a whole experiment before anything runs; a
// problem is reported at the value in the sweep section that causes it.
import type { ResolvedExperiment } from '../experiment.generated';
import { applyOverrides, didYouMean, OVERRIDE_SOURCE, Problem } from '../config';
import type { DatasetAccess } from '../experimentFile/dataChecks';
import { schemaAt, describeKeys } from '../schema';
import { fileProblem, locateInDoc } from '../experimentFile/locate';
import { byPosition, parse } from '../experimentFile/validate';
import type { Parsed, Seg } from '../experimentFile/problems';
import { canonicalJson, trainingKey } from './trainingKey';

/** More points than this need an explicit yes (`aelab sweep --yes`). */
export const MAX_POINTS_WITHOUT_YES = 1000;

export interface SweepPoint {
  index: number;
  /** Swept path -> value, plus `seed`. */
  overrides: Record<string, unknown>;
  /** Points with equal keys train the same model (they differ only in test corruption or evaluation). */
  trainingKey: string;
  /** The point's experiment, every default filled, without the `sweep` section. */
  experiment: ResolvedExperiment;
}

export interface SweepPlan {
  name: string;
  /** Swept paths in declared order. */
  parameters: string[];
  seeds: number[];
  points: SweepPoint[];
}

export interface SweepExpansion {
  ok: boolean;
  /** The file's own experiment (with --set applied, without `sweep`), when the file is valid. */
  base?: ResolvedExperiment;
  /** Set when ok and the file has a `sweep:` section. */
  plan?: SweepPlan;
  problems: Problem[];
}

export interface ExpandOptions {
  /** Allow more than MAX_POINTS_WITHOUT_YES points. */
  yes?: boolean;
  /** Check the dataset's files as `aelab validate` / `run` do (every point, before anything runs). */
  dataset?: DatasetAccess;
}

interface Axis {
  path: string;
  /** Where each value is written in the file (segments below the document root). */
  valueSegs: Seg[][];
  values: unknown[];
}

const RANGE = /^\s*range\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*$/;
const NOT_SWEPT = new Set(['name', 'sweep']);

function withoutSweep(experiment: ResolvedExperiment): ResolvedExperiment {
  const { sweep: _sweep, ...rest } = experiment;
  return rest;
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}

function knownPaths(prefix: string[]): string[] {
  return describeKeys(prefix).map((k) => [...prefix, k.name].join('.'));
}

/** Expands and validates a sweep; a file without `sweep:` gives ok with `base` and no plan. */
export function expandSweep(text: string, fileName: string, setOverrides: readonly string[] = [], options: ExpandOptions = {}): SweepExpansion {
  const base = applyOverrides(text, fileName, setOverrides, options.dataset);
  if (!base.ok || !base.experiment) return { ok: false, problems: base.problems };
  const sweep = base.experiment.sweep;
  if (!sweep) return { ok: true, base: withoutSweep(base.experiment), problems: base.problems };

  const parsed = parse(text, fileName);
  const problems: Problem[] = [];
  const at = (segs: Seg[], anchor: 'key' | 'value', message: string) => {
    const span = locateInDoc(parsed.doc, segs, anchor) ?? locateInDoc(parsed.doc, ['sweep'], 'key') ?? [0, 0];
    problems.push(fileProblem(parsed, span, message, segs.join('.'), 'error'));
  };

  const seeds = sweep.seeds ?? (sweep.repeats !== undefined ? Array.from({ length: sweep.repeats }, (_, k) => base.experiment!.seed + k) : [base.experiment.seed]);
  if (sweep.seeds && sweep.repeats !== undefined) at(['sweep', 'repeats'], 'key', 'give either sweep.seeds (a list) or sweep.repeats (a count), not both');

  const axes: Axis[] = [];
  const paths = Object.keys(sweep.parameters);
  if (paths.length === 0) at(['sweep', 'parameters'], 'key', 'the sweep has no parameters: an empty grid has no points (add e.g. corruption.level: [0.1, 0.2])');
  for (const path of paths) {
    const keySegs: Seg[] = ['sweep', 'parameters', path];
    const segs = path.split('.');
    if (NOT_SWEPT.has(segs[0])) {
      at(keySegs, 'key', `${path} cannot be swept: ${segs[0] === 'name' ? 'every point of a sweep shares the experiment name' : 'a sweep cannot sweep itself'}`);
      continue;
    }
    if (segs[0] === 'seed' && segs.length === 1 && (sweep.seeds || sweep.repeats !== undefined)) {
      at(keySegs, 'key', 'seed is swept here and also by sweep.seeds / sweep.repeats: use one of them');
      continue;
    }
    const schema = segs.some((s) => s === '') ? undefined : schemaAt(segs);
    if (!schema) {
      const parent = segs.slice(0, -1);
      const hint = schemaAt(parent) ? didYouMean(path, knownPaths(parent)) : undefined;
      at(keySegs, 'key', `unknown setting "${path}" in sweep.parameters: not a path of the experiment format${hint ? ` (did you mean "${hint}"?)` : ''}`);
      continue;
    }
    const other = paths.find((p) => p !== path && path.startsWith(`${p}.`));
    if (other) {
      at(keySegs, 'key', `${path} is inside ${other}, which is swept too: sweep one or the other`);
      continue;
    }
    const raw = sweep.parameters[path];
    let values: unknown[];
    let valueSegs: Seg[][];
    if (typeof raw === 'string') {
      const m = RANGE.exec(raw);
      const a = Number(m?.[1]);
      const b = Number(m?.[2]);
      values = [];
      for (let v = a; v < b; v++) values.push(v);
      valueSegs = values.map(() => keySegs);
    } else if (Array.isArray(raw)) {
      values = raw;
      valueSegs = raw.map((_, i) => [...keySegs, i]);
    } else {
      values = raw?.values ?? [];
      valueSegs = values.map((_, i) => [...keySegs, 'values', i]);
    }
    if (values.length === 0) {
      at(keySegs, 'value', `${path} has no values: an empty grid has no points${typeof raw === 'string' ? ' (range(a,b) runs from a up to b-1, so b must be greater than a)' : ''}`);
      continue;
    }
    // A single value for a list setting is a one-element list: data.normalClasses: range(0,10) is the one-class study.
    if (schema.type === 'array') values = values.map((v) => (Array.isArray(v) ? v : [v]));
    const seen = new Map<string, number>();
    values.forEach((v, i) => {
      const key = canonicalJson(v);
      const first = seen.get(key);
      if (first !== undefined) at(valueSegs[i], 'value', `${path} repeats the value ${describe(v)} (value ${first + 1} and ${i + 1}): every point of a sweep must differ`);
      else seen.set(key, i);
    });
    axes.push({ path, valueSegs, values });
  }
  if (problems.length > 0) return { ok: false, problems: [...base.problems, ...problems].sort(byPosition) };

  const settings = axes.reduce((n, a) => n * a.values.length, 1);
  const count = settings * seeds.length;
  if (count > MAX_POINTS_WITHOUT_YES && !options.yes) {
    at(['sweep'], 'key', `this sweep has ${count} points (${axes.map((a) => a.values.length).join(' x ')} settings x ${seeds.length} seed(s)), more than ${MAX_POINTS_WITHOUT_YES}: pass --yes to run it anyway, or narrow the grid`);
    return { ok: false, problems: [...base.problems, ...problems].sort(byPosition) };
  }

  const points: SweepPoint[] = [];
  const reported = new Set<string>();
  const byExperiment = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    // Mixed radix, last axis fastest, seeds fastest of all.
    const seed = seeds[index % seeds.length];
    let rest = Math.floor(index / seeds.length);
    const picks = new Array<number>(axes.length);
    for (let a = axes.length - 1; a >= 0; a--) {
      picks[a] = rest % axes[a].values.length;
      rest = Math.floor(rest / axes[a].values.length);
    }
    const overrides: Record<string, unknown> = {};
    axes.forEach((axis, a) => { overrides[axis.path] = axis.values[picks[a]]; });
    if (!('seed' in overrides)) overrides.seed = seed;
    const label = Object.entries(overrides).map(([k, v]) => `${k}=${describe(v)}`).join(', ');
    const strings = Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const result = applyOverrides(text, fileName, [...setOverrides, ...strings], options.dataset);
    if (!result.ok || !result.experiment) {
      for (const p of result.problems) {
        if (p.severity !== 'error') continue;
        const located = locatePointProblem(p, parsed, axes, picks, setOverrides.length, sweep.seeds !== undefined);
        const message = `sweep point ${index} (${label}): ${p.message}`;
        const dedupe = `${located.file}:${located.line}:${located.column}:${p.message}`;
        if (reported.has(dedupe)) continue;
        reported.add(dedupe);
        problems.push({ ...located, message });
      }
      continue;
    }
    const experiment = withoutSweep(result.experiment);
    const key = canonicalJson(experiment);
    const same = byExperiment.get(key);
    if (same !== undefined) {
      const earlier = points.find((q) => q.index === same);
      const a = axes.findIndex((axis, k) => canonicalJson(axis.values[picks[k]]) !== canonicalJson(earlier?.overrides[axis.path]));
      at(a >= 0 ? axes[a].valueSegs[picks[a]] : ['sweep'], a >= 0 ? 'value' : 'key', `sweep point ${index} (${label}) is the same experiment as point ${same}: every point of a sweep must differ`);
      continue;
    }
    byExperiment.set(key, index);
    points.push({ index, overrides, trainingKey: trainingKey(experiment), experiment });
  }
  if (problems.length > 0) return { ok: false, problems: [...base.problems, ...problems].sort(byPosition) };
  return {
    ok: true, base: withoutSweep(base.experiment), problems: base.problems,
    plan: { name: base.experiment.name, parameters: axes.map((a) => a.path), seeds, points },
  };
}

/** A point's problem from its overrides, moved to the value in the sweep section that set it. */
function locatePointProblem(p: Problem, parsed: Parsed, axes: Axis[], picks: number[], setCount: number, explicitSeeds: boolean): Problem {
  if (p.file !== OVERRIDE_SOURCE) return p;
  const which = p.line - 1 - setCount;
  if (which < 0) return p; // a --set override: reported where it is
  const segs: Seg[] = which < axes.length ? axes[which].valueSegs[picks[which]] : explicitSeeds ? ['sweep', 'seeds'] : ['sweep'];
  const span = locateInDoc(parsed.doc, segs, 'value') ?? [0, 0];
  return fileProblem(parsed, span, p.message, p.path, p.severity);
}
