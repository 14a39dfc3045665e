/**
 * What an executor module specifier names, decided the same way on the main thread (to refuse a bad one in
 * `build()`) and in a host (to load it). Pure: file existence is asked through `exists`.
 *
 * Executor modules are named so that the name survives compilation and means the same on every thread: a
 * `file:` URL (usually `new URL('./executors.js', import.meta.url)`) or a bare package specifier. A relative
 * string would resolve against the runtime's own files, not the caller's, so it is refused.
 */

/** How a specifier is loaded. */
export type ModuleKind =
  /** A JavaScript file, or a package: plain `import()`. */
  | { readonly kind: 'javascript' }
  /**
   * TypeScript source: `file` is the `.ts`/`.mts`/`.cts` file, named directly or found beside a `.js`/`.mjs`/`.cjs`
   * name that does not exist (the convention of TypeScript projects run from sources).
   */
  | { readonly kind: 'typescript'; readonly file: string }
  /** A `file:` URL naming nothing on disk, under either extension. */
  | { readonly kind: 'missing'; readonly file: string }
  /** A relative or otherwise unusable string. */
  | { readonly kind: 'invalid'; readonly reason: string };

const TYPESCRIPT = /\.(?:ts|mts|cts)$/;
const JAVASCRIPT = /\.(?:js|mjs|cjs)$/;

/** Classifies `specifier`; `exists(url)` says whether a `file:` URL names a file. */
export function moduleKind(specifier: string, exists: (url: URL) => boolean): ModuleKind {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    return {
      kind: 'invalid',
      reason:
        `"${specifier}" is a relative path, which would resolve against the runtime's files, not yours: ` +
        `pass new URL('${specifier}', import.meta.url) or import.meta.resolve('${specifier}')`,
    };
  }
  if (specifier.startsWith('/') || /^[A-Za-z]:[\\/]/.test(specifier)) {
    return {
      kind: 'invalid',
      reason: `"${specifier}" is a file path: pass it as a URL, e.g. pathToFileURL(path) from node:url`,
    };
  }
  if (!specifier.startsWith('file:')) return { kind: 'javascript' };
  let url: URL;
  try {
    url = new URL(specifier);
  } catch {
    return { kind: 'invalid', reason: `"${specifier}" is not a valid file: URL` };
  }
  url.search = '';
  url.hash = '';
  if (TYPESCRIPT.test(url.pathname)) {
    return exists(url) ? { kind: 'typescript', file: url.href } : { kind: 'missing', file: url.href };
  }
  if (exists(url)) return { kind: 'javascript' };
  const javascript = JAVASCRIPT.exec(url.pathname);
  if (javascript !== null) {
    // `./executors.js` in a TypeScript project run from sources names `executors.ts` (`.mjs` → `.mts`, …).
    const source = new URL(url.href.slice(0, -javascript[0].length) + javascript[0].replace('js', 'ts'));
    if (exists(source)) return { kind: 'typescript', file: source.href };
  }
  return { kind: 'missing', file: url.href };
}
