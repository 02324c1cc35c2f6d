// Which files an image-folder dataset (mvtec or folder layout) is made of, and every problem with
// them a run would meet, from listings, headers and tails only: the engine's loader and
// validation (dataChecks) both call planImageFolders, so run and validate cannot disagree. Pure:
// the file system is reached through an injected FolderReader (datasetFiles.ts has Node's).
import type { ResolvedDataConfig } from './experiment.generated';
import { IMAGE_HEAD_BYTES, IMAGE_TAIL_BYTES, isImageFileName, MAX_IMAGE_FILE_BYTES, MAX_JPEG_SCAN_BYTES, parseImageHeader, truncationProblem, type ImageHeader } from './imageHeaders';
import { rngFor } from './rng';

export type FolderKey = readonly string[];
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** File-system access the plan needs. Paths are absolute; nothing here writes. */
export interface FolderReader {
  resolve(baseDir: string, given: string): string;
  join(dir: string, name: string): string;
  /** Whether `child` is `parent` or lies under it (both real paths). */
  isInside(child: string, parent: string): boolean;
  /** The path with every symlink followed, or why not. */
  realPath(p: string): { real: string } | { error: 'missing' | 'loop' | string };
  /** What `p` is, symlinks followed. */
  kind(p: string): EntryKind | 'missing';
  /** The entries of a folder (symlinks not followed). */
  list(dir: string): { name: string; kind: EntryKind }[];
  /** The size and up to `head` first and `tail` last bytes of a regular file, or why it cannot be read. */
  readEnds(file: string, head: number, tail: number): { size: number; head: Uint8Array; tail: Uint8Array } | { problem: string };
}

export interface FolderPlanOptions {
  /** Folders (symlinks followed) must lie inside it. */
  workspaceRoot: string;
  seed: number;
}

export interface FolderProblem {
  key: FolderKey;
  message: string;
}

export interface PlannedTestImage {
  file: string;
  anomalous: boolean;
  mask?: string;
}

export interface FolderPlan {
  train: string[];
  test: PlannedTestImage[];
  /** Height x width every image is loaded at: data.imageSize, or the images' common size. */
  size?: [number, number];
  description: string;
  /** The key a file's problems are reported at (decoding, in the engine). */
  keyOf(file: string): FolderKey;
}

/** Problems listed one by one; past this many, one more says how many were left out. */
export const MAX_FOLDER_PROBLEMS = 50;

interface Entry {
  file: string;
  name: string;
  key: FolderKey;
}

interface TestEntry extends Entry {
  anomalous: boolean;
  mask?: Entry;
}

class LayoutError extends Error {}

const stem = (name: string) => (name.lastIndexOf('.') > 0 ? name.slice(0, name.lastIndexOf('.')) : name);

/** Walks a layout, collecting problems; a LayoutError ends it where nothing further can be listed. */
class Lister {
  readonly problems: FolderProblem[] = [];
  private readonly root: string;

  constructor(private readonly fsr: FolderReader, private readonly baseDir: string, opts: FolderPlanOptions) {
    const real = fsr.realPath(fsr.resolve(baseDir, opts.workspaceRoot));
    this.root = 'real' in real ? real.real : opts.workspaceRoot;
  }

  add(key: FolderKey, message: string): void {
    this.problems.push({ key, message });
  }

  fatal(key: FolderKey, message: string): never {
    this.add(key, message);
    throw new LayoutError(message);
  }

  /** A folder the experiment names: it must exist, be a folder and lie inside the workspace (symlinks followed). */
  folder(given: string, key: FolderKey, what: string): string {
    const dir = this.fsr.resolve(this.baseDir, given);
    const real = this.fsr.realPath(dir);
    if ('error' in real) this.fatal(key, real.error === 'loop' ? `${what} ${dir} is a symlink loop` : real.error === 'missing' ? `${what} ${dir} does not exist` : `${what} ${dir}: cannot read (${real.error})`);
    if (this.fsr.kind(real.real) !== 'directory') this.fatal(key, `${what} ${dir} is not a folder`);
    if (!this.fsr.isInside(real.real, this.root)) this.fatal(key, `${what} ${dir} is outside the workspace ${this.root}; image folders must lie inside it`);
    return real.real;
  }

  /** The entries of `dir`; one that cannot be listed is a problem (and lists nothing). */
  entries(dir: string, key: FolderKey): { name: string; kind: EntryKind }[] {
    try {
      return this.fsr.list(dir);
    } catch (err) {
      this.add(key, `${dir}: cannot list: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  /** Image files directly in `dir`, sorted by name; symlinks followed (a loop, a broken link or a target outside the workspace is a problem). */
  images(dir: string, key: FolderKey, allowEmpty = false): Entry[] {
    const found: Entry[] = [];
    for (const { name, kind } of this.entries(dir, key).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!isImageFileName(name) || kind === 'directory') continue;
      const file = this.fsr.join(dir, name);
      if (kind === 'symlink') {
        const real = this.fsr.realPath(file);
        if ('error' in real) {
          this.add(key, `${file}: ${real.error === 'loop' ? 'a symlink loop' : `a broken link (${real.error === 'missing' ? 'ENOENT' : real.error})`}`);
          continue;
        }
        if (!this.fsr.isInside(real.real, this.root)) {
          this.add(key, `${file} links to ${real.real}, outside the workspace ${this.root}`);
          continue;
        }
        if (this.fsr.kind(real.real) === 'directory') continue;
      }
      found.push({ file, name, key });
    }
    if (found.length === 0 && !allowEmpty) this.add(key, `${dir} holds no PNG or JPEG images`);
    return found;
  }

  subfolders(dir: string, key: FolderKey): string[] {
    return this.entries(dir, key).filter((e) => e.kind === 'directory').map((e) => e.name).sort();
  }

  /** Pairs masks with anomalous images by name (`x.png` or `x_mask.png` for image `x.*`): a mask without its image, or an image without its mask, is a problem. */
  pairMasks(anomalous: TestEntry[], masks: Entry[], key: FolderKey, maskDir: string): void {
    const byStem = new Map(anomalous.map((e) => [stem(e.name), e]));
    for (const mask of masks) {
      const name = stem(mask.name);
      const entry = byStem.get(name) ?? byStem.get(name.replace(/_mask$/, ''));
      if (!entry) this.add(key, `mask ${mask.file} has no image: expected an image named ${name.replace(/_mask$/, '')}.png or .jpg beside the anomalous images`);
      else entry.mask = mask;
    }
    for (const entry of anomalous) {
      if (!entry.mask) this.add(key, `image ${entry.file} has no mask: expected ${stem(entry.name)}_mask.png or ${stem(entry.name)}.png in ${maskDir} (every anomalous image needs one when masks are given)`);
    }
  }
}

interface Layout {
  train: Entry[];
  test: TestEntry[];
  description: string;
}

function mvtecLayout(cfg: ResolvedDataConfig, lister: Lister, fsr: FolderReader): Layout {
  if (!cfg.root || !cfg.category) lister.fatal(['data'], 'data.root and data.category are required when data.dataset is mvtec');
  const root = lister.folder(cfg.root, ['data', 'root'], 'data.root');
  const key = ['data', 'category'];
  const base = fsr.join(root, cfg.category);
  if (fsr.kind(base) === 'missing') lister.fatal(key, `category ${cfg.category} not found: ${base} does not exist (categories there: ${lister.subfolders(root, key).join(', ') || 'none'})`);
  // Each folder is followed to where it really is, which must be in the workspace too.
  const need = (...rel: string[]) => {
    const dir = rel.reduce((d, r) => fsr.join(d, r), base);
    if (fsr.kind(dir) !== 'directory') lister.fatal(key, `${dir} does not exist: an MVTec category holds train/good, test/good and test/<defect> folders`);
    return lister.folder(dir, key, 'folder');
  };
  const trainDir = need('train', 'good');
  const testDir = need('test');
  const train = lister.images(trainDir, key);
  const groundTruth = fsr.join(base, 'ground_truth');
  const test: TestEntry[] = [];
  for (const defect of lister.subfolders(testDir, key)) {
    const entries = lister.images(fsr.join(testDir, defect), key, true).map((e) => ({ ...e, anomalous: defect !== 'good' }));
    test.push(...entries);
    const maskDir = fsr.join(groundTruth, defect);
    if (defect !== 'good' && fsr.kind(maskDir) === 'directory') lister.pairMasks(entries, lister.images(lister.folder(maskDir, key, 'folder'), key, true), key, maskDir);
  }
  if (test.length === 0) lister.add(key, `${testDir} holds no images`);
  if (fsr.kind(groundTruth) === 'directory') {
    for (const defect of lister.subfolders(groundTruth, key)) {
      if (fsr.kind(fsr.join(testDir, defect)) !== 'directory') lister.add(key, `masks in ${fsr.join(groundTruth, defect)} have no images: ${fsr.join(testDir, defect)} does not exist`);
    }
  }
  return { train, test, description: `MVTec ${cfg.category} (${root})` };
}

function folderLayout(cfg: ResolvedDataConfig, lister: Lister, seed: number, baseDir: string, fsr: FolderReader): Layout {
  if (!cfg.normalDir) lister.fatal(['data'], 'data.normalDir is required when data.dataset is folder');
  const normalKey = ['data', 'normalDir'];
  const normal = lister.images(lister.folder(cfg.normalDir, normalKey, 'data.normalDir'), normalKey);
  // A seeded share of the normal images is tested, not trained on.
  const order = normal.map((_, i) => i);
  rngFor(seed, 'folder-test-split').shuffle(order);
  const testSplit = cfg.testSplit ?? 0.2;
  const testNormal = Math.round(normal.length * testSplit);
  if (normal.length > 0 && normal.length - testNormal < 2) lister.add(['data', 'testSplit'], `data.testSplit ${testSplit} leaves ${normal.length - testNormal} of the ${normal.length} normal images for training: at least 2 are needed`);
  const test: TestEntry[] = order.slice(0, testNormal).sort((a, b) => a - b).map((i) => ({ ...normal[i], anomalous: false }));
  const train = order.slice(testNormal).sort((a, b) => a - b).map((i) => normal[i]);
  if (cfg.abnormalDir) {
    const key = ['data', 'abnormalDir'];
    const anomalous = lister.images(lister.folder(cfg.abnormalDir, key, 'data.abnormalDir'), key).map((e) => ({ ...e, anomalous: true }));
    test.push(...anomalous);
    if (cfg.maskDir) {
      const maskKey = ['data', 'maskDir'];
      const maskDir = lister.folder(cfg.maskDir, maskKey, 'data.maskDir');
      lister.pairMasks(anomalous, lister.images(maskDir, maskKey), maskKey, maskDir);
    }
  } else if (cfg.maskDir) {
    lister.add(['data', 'maskDir'], 'data.maskDir needs data.abnormalDir: masks mark the defects of the anomalous images');
  }
  return { train, test, description: `image folder ${fsr.resolve(baseDir, cfg.normalDir)}` };
}

/** The header of each file, read from its first and last bytes; a problem for each that a decoder would refuse. */
function readHeaders(entries: readonly Entry[], fsr: FolderReader, add: (key: FolderKey, message: string) => void): Map<string, ImageHeader> {
  const headers = new Map<string, ImageHeader>();
  for (const { file, key } of entries) {
    const ends = fsr.readEnds(file, IMAGE_HEAD_BYTES, IMAGE_TAIL_BYTES);
    if ('problem' in ends) { add(key, `${file}: ${ends.problem}`); continue; }
    if (ends.size > MAX_IMAGE_FILE_BYTES) { add(key, `${file}: ${ends.size} bytes: larger than the ${MAX_IMAGE_FILE_BYTES / 1024 / 1024} MB allowed for one image`); continue; }
    let parsed = parseImageHeader(ends.head, ends.head.length >= ends.size);
    if ('needMore' in parsed) {
      // A JPEG with large metadata segments before its frame header: read further, once.
      const more = fsr.readEnds(file, Math.min(ends.size, MAX_JPEG_SCAN_BYTES), 0);
      parsed = 'problem' in more ? more : parseImageHeader(more.head, more.head.length >= ends.size);
      if ('needMore' in parsed) parsed = { problem: `JPEG without a frame header (SOF) in its first ${MAX_JPEG_SCAN_BYTES} bytes` };
    }
    if ('problem' in parsed) { add(key, `${file}: ${parsed.problem}`); continue; }
    const cut = truncationProblem(parsed.header.format, ends.tail);
    if (cut) { add(key, `${file}: ${cut}`); continue; }
    headers.set(file, parsed.header);
  }
  return headers;
}

/** Mixed sizes (without data.imageSize) and, for data.channels 3, colour mixed with grayscale files. */
function consistencyProblems(cfg: ResolvedDataConfig, images: readonly Entry[], headers: Map<string, ImageHeader>, add: (key: FolderKey, message: string) => void): [number, number] | undefined {
  let first: Entry | undefined, firstHeader: ImageHeader | undefined, colour: Entry | undefined, gray: Entry | undefined;
  let odd: { entry: Entry; header: ImageHeader } | undefined, oddCount = 0;
  for (const entry of images) {
    const header = headers.get(entry.file);
    if (!header) continue;
    if (header.channels === 3) colour ??= entry; else gray ??= entry;
    if (!first || !firstHeader) { [first, firstHeader] = [entry, header]; continue; }
    if (header.width !== firstHeader.width || header.height !== firstHeader.height) {
      odd ??= { entry, header };
      oddCount++;
    }
  }
  if (!cfg.imageSize && first && firstHeader && odd) {
    const more = oddCount > 1 ? ` (${oddCount - 1} more image(s) differ from ${first.name} too)` : '';
    add(odd.entry.key, `images of different sizes: ${first.file} is ${firstHeader.height}x${firstHeader.width} but ${odd.entry.file} is ${odd.header.height}x${odd.header.width} (height x width); set data.imageSize to resize them all${more}`);
  }
  if ((cfg.channels ?? 1) === 3 && colour && gray) {
    add(['data', 'channels'], `data.channels is 3 but the images mix colour (${colour.file}) and grayscale (${gray.file}) files; use channels: 1, or convert the grayscale images`);
  }
  if (cfg.imageSize) return [cfg.imageSize[0], cfg.imageSize[1]];
  return firstHeader ? [firstHeader.height, firstHeader.width] : undefined;
}

/**
 * Lists an mvtec or folder dataset (`baseDir`: the experiment file's folder), applies the limits
 * and the test split as a run does, and checks every file the run would load by its header and
 * tail. `plan` is set when the layout could be listed; a run may start only when `problems` is empty.
 */
export function planImageFolders(cfg: ResolvedDataConfig, baseDir: string, opts: FolderPlanOptions, fsr: FolderReader): { plan?: FolderPlan; problems: FolderProblem[] } {
  const lister = new Lister(fsr, baseDir, opts);
  let layout: Layout;
  try {
    layout = cfg.dataset === 'mvtec' ? mvtecLayout(cfg, lister, fsr) : folderLayout(cfg, lister, opts.seed, baseDir, fsr);
  } catch (err) {
    if (err instanceof LayoutError) return { problems: lister.problems };
    throw err;
  }
  const train = cfg.trainLimit ? layout.train.slice(0, cfg.trainLimit) : layout.train;
  // Under a limit, a seeded sample keeps both normal and anomalous test images.
  let test = layout.test;
  if (cfg.testLimit && cfg.testLimit < test.length) {
    const order = test.map((_, i) => i);
    rngFor(opts.seed, 'folder-test-limit').shuffle(order);
    test = order.slice(0, cfg.testLimit).sort((a, b) => a - b).map((i) => layout.test[i]);
  }
  const problems = lister.problems;
  let hidden = 0;
  const add = (key: FolderKey, message: string) => {
    if (problems.length < MAX_FOLDER_PROBLEMS) problems.push({ key, message });
    else hidden++;
  };
  const images = [...train, ...test];
  const headers = readHeaders([...images, ...test.flatMap((e) => (e.mask ? [e.mask] : []))], fsr, add);
  const size = consistencyProblems(cfg, images, headers, add);
  if (hidden > 0) problems.push({ key: problems[problems.length - 1].key, message: `${hidden} more problem(s) with the image files not listed` });
  const keys = new Map<string, FolderKey>();
  for (const e of [...images, ...test.flatMap((t) => (t.mask ? [t.mask] : []))]) keys.set(e.file, e.key);
  return {
    problems,
    plan: {
      train: train.map((e) => e.file),
      test: test.map((e) => ({ file: e.file, anomalous: e.anomalous, mask: e.mask?.file })),
      size, description: layout.description,
      keyOf: (file) => keys.get(file) ?? ['data'],
    },
  };
}
