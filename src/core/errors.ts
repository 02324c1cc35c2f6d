/**
 * A problem with what the user asked for (experiment values, dataset files), found before a run
 * folder is created: reported plainly, exit code 1, nothing written.
 */
export class InputError extends Error {
  override name = 'InputError';
}
