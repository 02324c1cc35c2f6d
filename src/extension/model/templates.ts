// New Experiment: the examples/ shipped with the extension are the templates. vscode-free.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { validateExperiment } from '../../core/config';

export interface ExperimentTemplate {
  file: string;
  /** Template id: the file name without .aelab.yaml. */
  id: string;
  name: string;
  description?: string;
  text: string;
}

export const EXPERIMENT_SUFFIX = '.aelab.yaml';

export function listTemplates(examplesDir: string): ExperimentTemplate[] {
  let files: string[];
  try {
    files = fs.readdirSync(examplesDir).filter((f) => f.endsWith(EXPERIMENT_SUFFIX)).sort();
  } catch {
    return [];
  }
  const out: ExperimentTemplate[] = [];
  for (const f of files) {
    const file = path.join(examplesDir, f);
    const text = fs.readFileSync(file, 'utf8');
    const result = validateExperiment(text, f);
    if (!result.ok || !result.experiment) continue; // never offer a template that would not validate
    out.push({ file, id: f.slice(0, -EXPERIMENT_SUFFIX.length), name: result.experiment.name, description: result.experiment.description, text });
  }
  return out;
}

/** The template text with `name:` replaced, comments and layout kept. */
export function instantiateTemplate(text: string, name: string): string {
  const doc = parseDocument(text);
  if (isMap(doc.contents)) {
    const node = doc.contents.get('name', true);
    if (isScalar(node) && node.range) {
      // Splice the scalar so the rest of the file stays byte for byte.
      const [start, end] = node.range;
      return text.slice(0, start) + name + text.slice(end);
    }
  }
  doc.set('name', name);
  return doc.toString();
}

export function isValidExperimentName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && name.length <= 80;
}

/** `base`, or `base-2`, `base-3`... whichever is free (neither a taken name nor an existing file). */
export function uniqueExperimentName(base: string, taken: ReadonlySet<string>, folder: string): string {
  const free = (n: string) => !taken.has(n) && !fs.existsSync(path.join(folder, `${n}${EXPERIMENT_SUFFIX}`));
  if (free(base)) return base;
  for (let i = 2; ; i++) if (free(`${base}-${i}`)) return `${base}-${i}`;
}
