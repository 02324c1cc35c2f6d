/**
 * A problem with what the user asked for (experiment values, dataset files), found before a run
 * folder is created: reported plainly, exit code 1, nothing written. `key` names the experiment
 * setting it belongs to (e.g. ['model', 'architecture']) so readers can point at file:line:col.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(message: string, readonly key?: readonly (string | number)[]) {
    super(message);
  }
}
