/**
 * What a host process will import: modules under its root directory, and the packages it was told to
 * trust — nothing else, whatever a coordinator asks. Executor modules arrive as `./<path under the root>`
 * or a package name (see `NatsHostSet.portableModule`); anything else (`file:`, `node:`, `data:`, an
 * absolute path) is refused before anything is imported.
 */
import { pathToFileURL } from 'node:url';
import { SuperstepError } from '../shared/errors.ts';
import { resolveUnderRoot } from '../shared/module-root.ts';

/** A host's allow-list, as given at its start. */
export interface ModuleAllowList {
  /** The root directory (a `file:` URL with its trailing slash), or `undefined` for none. */
  readonly root: string | undefined;
  /** Package names whose modules (and subpaths) may be imported. */
  readonly packages: ReadonlySet<string>;
}

const PACKAGE = /^((?:@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*)(\/[A-Za-z0-9._~@/-]*)?$/;

/** Builds an allow-list from a root (a path or `file:` URL) and package names; both optional. */
export function moduleAllowList(root: string | URL | undefined, packages: readonly string[]): ModuleAllowList {
  let rootUrl: string | undefined;
  if (root !== undefined) {
    const url = root instanceof URL ? root : new URL(root.startsWith('file:') ? root : pathToFileURL(root).href);
    rootUrl = url.href.endsWith('/') ? url.href : `${url.href}/`;
  }
  for (const name of packages) {
    if (PACKAGE.exec(name)?.[2] !== undefined || !PACKAGE.test(name)) {
      throw new SuperstepError('INVALID_OPTION', `package ${JSON.stringify(name)} is not a package name`, {
        details: { option: 'packages' },
      });
    }
  }
  return { root: rootUrl, packages: new Set(packages) };
}

function refused(module: string, why: string): SuperstepError {
  return new SuperstepError('MODULE_NOT_ALLOWED', `this host does not import ${JSON.stringify(module)}: ${why}`, {
    details: { module },
  });
}

/**
 * The specifier to import for `module`, if the allow-list lets it in: a root-relative path resolved under
 * the root (one that would leave it is `INVALID_EXECUTOR_REF`), or an allowed package as it is.
 */
export function allowedSpecifier(module: unknown, allow: ModuleAllowList): string {
  if (typeof module !== 'string') throw refused(String(module), 'not a module name');
  if (module.startsWith('./')) {
    if (allow.root === undefined) throw refused(module, 'it serves no root directory (start it with --root)');
    return resolveUnderRoot(module.slice(2), allow.root);
  }
  const match = PACKAGE.exec(module);
  const subpath = match?.[2] ?? '';
  if (match === null || subpath.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw refused(module, 'only paths under its root and allowed packages are imported');
  }
  if (!allow.packages.has(match[1] ?? '')) {
    throw refused(module, `package ${JSON.stringify(match[1])} is not on its allow-list (start it with --package)`);
  }
  return module;
}
