// New Experiment: the examples/ shipped with the extension are the templates, the small starter
// (examples/starter/) first. The new file gets comments for the person who just created it, not
// the study's. vscode-free.
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
/** Subfolder of examples/ with the starter templates (not part of the study, offered first). */
export const STARTER_FOLDER = 'starter';

function experimentFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith(EXPERIMENT_SUFFIX)).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function listTemplates(examplesDir: string): ExperimentTemplate[] {
  const files = [...experimentFiles(path.join(examplesDir, STARTER_FOLDER)), ...experimentFiles(examplesDir)];
  const out: ExperimentTemplate[] = [];
  for (const file of files) {
    const f = path.basename(file);
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

/** Matches a trailing comment that reports a measurement of the study's machine (timings). */
const MEASURED = /#.*(\d\s*(s|ms|min)\b.*\bper\b|\bmeasured\b)/i;

/**
 * The text of a new experiment from a template: `name` replaced, the template's opening comment
 * block (written for the study) replaced by one for the person who just created the file, and
 * trailing comments with the study machine's timings dropped. Keys, values and the comments that
 * explain them stay.
 */
export function newExperimentText(template: ExperimentTemplate, name: string): string {
  const lines = instantiateTemplate(template.text, name).split('\n');
  let first = 0;
  while (first < lines.length && (lines[first].trim() === '' || lines[first].trimStart().startsWith('#'))) first++;
  const header = [
    `# ${name}: an autoencoder anomaly-detection experiment, started from the "${template.id}" template.`,
    ...(template.description ? [`# ${template.description}`] : []),
    '# Train it with the ▶ button in the editor title (Autoencoder Lab: Train Autoencoder); its results',
    '# open when it finishes. Hover a key to see what it does; Ctrl+Space lists the values it accepts.',
    `# Each run is kept in its own folder under .aelab/runs/${name}/.`,
  ];
  const body = lines.slice(first).map((line) => {
    const m = MEASURED.exec(line);
    return m && m.index > 0 && line.slice(0, m.index).trim() !== '' ? line.slice(0, m.index).trimEnd() : line;
  });
  return [...header, ...body].join('\n');
}
