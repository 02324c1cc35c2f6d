// esbuild replaces __AELAB_VERSION__ at bundle time; unbundled (tests, tsx) we read package.json.
declare const __AELAB_VERSION__: string | undefined;

export function aelabVersion(): string {
  if (typeof __AELAB_VERSION__ === 'string') return __AELAB_VERSION__;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
