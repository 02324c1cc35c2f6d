// Reading and writing the sweep folder `<runsDir>/.sweeps/<name>/` (format: core/sweep/sweepFormat.ts):
// manifest.json, written atomically by whoever starts the sweep, and points/<index>.json, one file
// per point written by whoever runs that point.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/runFolder';
import type { SweepPlan } from '../core/sweep/expand';
import { PointFile, SWEEP_FORMAT_VERSION, SWEEPS_DIR, SweepManifest } from '../core/sweep/sweepFormat';
import { canonicalJson } from '../core/sweep/trainingKey';

export const MANIFEST_FILE = 'manifest.json';
export const POINTS_DIR = 'points';

export function sweepDir(runsDir: string, name: string): string {
  return path.join(runsDir, SWEEPS_DIR, name);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function manifestFor(plan: SweepPlan, experimentPath: string, set: readonly string[], now = new Date()): SweepManifest {
  return {
    formatVersion: SWEEP_FORMAT_VERSION, name: plan.name, experimentPath, set: [...set], method: 'grid',
    parameters: plan.parameters, seeds: plan.seeds,
    points: plan.points.map((p) => ({ index: p.index, overrides: p.overrides, trainingKey: p.trainingKey })),
    createdAt: now.toISOString(),
  };
}

export function readManifest(dir: string): SweepManifest | undefined {
  return readJson<SweepManifest>(path.join(dir, MANIFEST_FILE));
}

/** Writes the manifest unless an equal one (same file, overrides and points) is there; returns the one in place. */
export function ensureManifest(dir: string, manifest: SweepManifest): SweepManifest {
  const current = readManifest(dir);
  const same = (m: SweepManifest) => canonicalJson({ ...m, createdAt: '' });
  if (current && same(current) === same(manifest)) return current;
  fs.mkdirSync(path.join(dir, POINTS_DIR), { recursive: true });
  writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
  return manifest;
}

export function pointFilePath(dir: string, index: number): string {
  return path.join(dir, POINTS_DIR, `${index}.json`);
}

export function readPointFile(dir: string, index: number): PointFile | undefined {
  return readJson<PointFile>(pointFilePath(dir, index));
}

export function writePointFile(dir: string, file: PointFile): void {
  fs.mkdirSync(path.join(dir, POINTS_DIR), { recursive: true });
  writeJsonAtomic(pointFilePath(dir, file.index), file);
}
