// Reading a run folder into what the panels are sent (protocol.ts, "Webview panels"). No vscode
// here, so the browser tests build exactly the messages the extension builds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PanelImageSource, PanelRunData, PanelScores, PanelTestImage, RunSetupFacts } from '../../core/protocol';
import { readRun, readSamples, readScores, readTestImages, readTestMasks } from '../../core/runFolder';
import type { RunConfigFile, ScoresHeader } from '../../core/runFormat';
import { RUN_FILES } from '../../core/runFormat';
import { manualThresholdWarning } from './manualThresholdOrigin';

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

export function setupFacts(config: RunConfigFile): RunSetupFacts {
  const e = config.experiment;
  const c = e.corruption;
  const contamination = e.data.trainContamination;
  return {
    dataset: e.data.dataset,
    architecture: e.model.architecture,
    loss: e.training.loss,
    corruption: `${c.type} ${c.level} on ${percent(c.fraction)}`,
    trainContamination: contamination && contamination.fraction > 0
      // Runs from before trainContamination.validation existed kept their validation split clean.
      ? `${percent(contamination.fraction)} ${contamination.type ?? c.type} ${contamination.level ?? c.level}, ${contamination.validation === 'contaminated' ? 'validation too' : 'validation clean'}`
      : undefined,
    normalClasses: e.data.normalClasses ? [...e.data.normalClasses] : undefined,
    epochsPlanned: e.training.epochs,
    score: e.evaluation.score,
    seed: e.seed,
  };
}

function readScoresHeader(runDir: string): ScoresHeader | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.scoresHeader), 'utf8')) as ScoresHeader;
  } catch {
    return undefined;
  }
}

/** Everything a panel shows of one run. Scores are included once the run has them. */
export function loadPanelRun(runDir: string): PanelRunData {
  const run = readRun(runDir);
  const data: PanelRunData = {
    runDir,
    runId: run.status.runId || path.basename(runDir),
    experimentName: run.config?.experimentName ?? path.basename(path.dirname(runDir)),
    experimentPath: run.config?.experimentPath,
    state: run.status.state,
    stale: run.stale,
    error: run.status.error,
    setup: run.config ? setupFacts(run.config) : undefined,
    metrics: run.metrics,
    summary: run.summary,
    manualThreshold: run.manualThreshold?.value,
    manualThresholdWarning: manualThresholdWarning(runDir, run.config),
  };
  if (readScoresHeader(runDir)) {
    const s = readScores(runDir);
    // slice(): views of their own, so a message carries these values, not the whole file buffer.
    const scores: PanelScores = { kind: s.header.score, values: s.scores.slice(), labels: s.labels.slice() };
    if (s.classes) scores.classes = s.classes.slice();
    data.scores = scores;
  }
  return data;
}

/** Which images the host can serve for this run. */
export function imageSourceOf(runDir: string): PanelImageSource {
  const header = readScoresHeader(runDir);
  if (header?.images && fs.existsSync(path.join(runDir, RUN_FILES.images))) {
    return { kind: 'all', width: header.images.width, height: header.images.height, sampleIndices: [] };
  }
  try {
    const samples = readSamples(runDir).header;
    return { kind: 'samples', width: samples.width, height: samples.height, sampleIndices: samples.samples.map((s) => s.index) };
  } catch {
    return { kind: 'none', width: 0, height: 0, sampleIndices: [] };
  }
}

function toBytes(plane: Float32Array): Uint8Array {
  const out = new Uint8Array(plane.length);
  for (let i = 0; i < plane.length; i++) {
    const v = plane[i];
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}

/** The requested test images, from images.bin when the run has it, else from the stored samples. */
export function loadTestImages(runDir: string, indices: readonly number[]): { width: number; height: number; images: PanelTestImage[] } {
  const source = imageSourceOf(runDir);
  if (source.kind === 'all') {
    const { width, height, images } = readTestImages(runDir, indices);
    const masks = readTestMasks(runDir, indices);
    const size = width * height;
    return {
      width,
      height,
      images: images.map((bytes, k) => ({
        index: indices[k],
        original: bytes.slice(0, size),
        input: bytes.slice(size, 2 * size),
        reconstruction: bytes.slice(2 * size, 3 * size),
        ...(masks ? { mask: masks[k] } : {}),
      })),
    };
  }
  if (source.kind === 'samples') {
    const { header, pixels } = readSamples(runDir);
    const size = header.width * header.height;
    const planes = header.planes.length;
    const images: PanelTestImage[] = [];
    for (const index of indices) {
      const k = header.samples.findIndex((s) => s.index === index);
      if (k < 0) continue;
      const base = k * planes * size;
      images.push({
        index,
        original: toBytes(pixels.subarray(base, base + size)),
        input: toBytes(pixels.subarray(base + size, base + 2 * size)),
        reconstruction: toBytes(pixels.subarray(base + 2 * size, base + 3 * size)),
      });
    }
    return { width: header.width, height: header.height, images };
  }
  throw new Error(`${runDir} has no stored images`);
}

function isRunDir(dir: unknown): dir is string {
  return typeof dir === 'string' && path.isAbsolute(dir) && fs.existsSync(path.join(dir, RUN_FILES.status));
}

/** What a Score panel's saved state names: its run (if it still exists) and the files and folders it scored. */
export function scoreInputsOfState(state: unknown): { runDir: string; inputs: string[] } | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { runDir?: unknown; inputs?: unknown };
  const inputs = Array.isArray(s.inputs) ? s.inputs.filter((p): p is string => typeof p === 'string' && path.isAbsolute(p)) : [];
  return isRunDir(s.runDir) && inputs.length > 0 ? { runDir: s.runDir, inputs } : undefined;
}

/** The run folder(s) a restored panel's saved state names, if they still exist. */
export function runDirsOfState(state: unknown): { runDir?: string; runDirs?: string[] } {
  if (typeof state !== 'object' || state === null) return {};
  const s = state as { runDir?: unknown; runDirs?: unknown };
  return {
    runDir: isRunDir(s.runDir) ? s.runDir : undefined,
    runDirs: Array.isArray(s.runDirs) ? s.runDirs.filter(isRunDir) : undefined,
  };
}
