/**
 * Executor locations that mean the same in another process. A location's module is a `file:` URL or a
 * package name (module-kind.ts); a package name resolves wherever the package is installed, but a `file:`
 * URL names a path on this machine. Against a declared root — the directory a deployment ships, the same
 * tree on every host — a `file:` URL becomes a path relative to it, and a host resolves that path under
 * its own copy of the root. A host takes only paths that stay inside its root: that root is its allow-list
 * of code it will import.
 */
import { SuperstepError } from './errors.ts';

/** `root` as a `file:` URL of a directory (with its trailing slash). */
function rootUrl(root: string | URL): URL {
  const url = new URL(root);
  if (url.protocol !== 'file:') {
    throw new SuperstepError('INVALID_OPTION', `a module root must be a file: URL, got ${url.href}`, {
      details: { option: 'root' },
    });
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * The path of `specifier` relative to `root`, or `undefined` if it is not a `file:` URL under `root` (a
 * package name is portable as it is).
 *
 * @example
 * relativeToRoot('file:///srv/app/dist/executors.js', 'file:///srv/app/'); // 'dist/executors.js'
 * relativeToRoot('@acme/executors', 'file:///srv/app/'); // undefined
 */
export function relativeToRoot(specifier: string, root: string | URL): string | undefined {
  if (!specifier.startsWith('file:')) return undefined;
  const base = rootUrl(root).href;
  const url = new URL(specifier);
  if (url.search !== '' || url.hash !== '' || !url.href.startsWith(base) || url.href === base) return undefined;
  return decodeURIComponent(url.href.slice(base.length));
}

/**
 * The `file:` URL that `relative` names under `root` — what a host imports. A path that is absolute, has a
 * `..` or `.` segment, a backslash or an empty segment could leave the root: it is refused with
 * `INVALID_EXECUTOR_REF`, before anything is imported.
 *
 * @example
 * resolveUnderRoot('dist/executors.js', 'file:///opt/host/app/'); // 'file:///opt/host/app/dist/executors.js'
 * resolveUnderRoot('../etc/passwd', 'file:///opt/host/app/'); // throws INVALID_EXECUTOR_REF
 */
export function resolveUnderRoot(relative: string, root: string | URL): string {
  const segments = relative.split('/');
  const escapes =
    relative === '' ||
    relative.includes('\\') ||
    relative.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (escapes) {
    throw new SuperstepError('INVALID_EXECUTOR_REF', `module path ${JSON.stringify(relative)} would leave its root`, {
      details: { module: relative },
    });
  }
  const base = rootUrl(root);
  const url = new URL(segments.map(encodeURIComponent).join('/'), base);
  // Belt and braces: whatever URL parsing did, the result must still be under the root.
  if (!url.href.startsWith(base.href)) {
    throw new SuperstepError('INVALID_EXECUTOR_REF', `module path ${JSON.stringify(relative)} would leave its root`, {
      details: { module: relative },
    });
  }
  return url.href;
}
