/**
 * Optional peer dependencies: packages the runtime uses only for one feature (a store's database driver, a
 * TypeScript loader for `.ts` executor modules). They are imported when that feature is first used, and a
 * missing one is a typed error that names the package to install, not Node's bare `ERR_MODULE_NOT_FOUND`.
 */
import { SuperstepError } from './errors.ts';

/** True if `error` is Node's "cannot find package" for `packageName` itself (not for one of its imports). */
function isMissingPackage(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${packageName}'`)
  );
}

/**
 * Imports an optional dependency through `load` (a literal `import('name')`, so bundlers and type-checkers
 * see it). A missing package becomes `OPTIONAL_DEPENDENCY_MISSING`; any other failure is rethrown.
 *
 * @example
 * const { default: pg } = await importOptional('pg', 'the PostgreSQL checkpoint store', () => import('pg'));
 */
export async function importOptional<T>(packageName: string, neededFor: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, packageName)) throw error;
    throw new SuperstepError(
      'OPTIONAL_DEPENDENCY_MISSING',
      `${neededFor} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\``,
      { details: { package: packageName, neededFor }, cause: error },
    );
  }
}
