// Which points of a sweep can share one trained model: those whose experiments agree on
// everything training reads (data, model, training, seed). Test corruption, test size and
// evaluation settings only change scoring.
import type { ResolvedExperiment } from '../experiment.generated';

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What training depends on, and nothing else. */
export function trainingInputs(x: ResolvedExperiment): unknown {
  const { testLimit: _testLimit, trainContamination, ...data } = x.data;
  // Contamination without its own type/level borrows the test corruption's: then those train too.
  const contamination = trainContamination && {
    fraction: trainContamination.fraction,
    type: trainContamination.type ?? x.corruption.type,
    level: trainContamination.level ?? x.corruption.level,
  };
  return { seed: x.seed, data: { ...data, trainContamination: contamination }, model: x.model, training: x.training };
}

/** 64-bit FNV-1a of the text, as 16 hex digits (a short, stable name; not a security hash). */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

/** Equal for two experiments exactly when they would train the same model. */
export function trainingKey(x: ResolvedExperiment): string {
  return fnv1a64(canonicalJson(trainingInputs(x)));
}
