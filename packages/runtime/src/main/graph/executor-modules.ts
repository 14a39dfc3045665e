/**
 * Checks executor module specifiers in `build()`, before any thread starts: a relative string, a file that
 * is not there, or TypeScript source with no loader to run it each gets a typed error that names the module
 * and says what to do, instead of a worker's import error later.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SuperstepError } from '../../shared/errors.ts';
import { moduleKind } from '../../shared/module-kind.ts';
import type { ExecutorLocation } from '../../shared/protocol.ts';

const fileExists = (url: URL): boolean => existsSync(fileURLToPath(url));

let tsxFound: boolean | undefined;
/** Whether a worker can register tsx (resolved from the runtime's own location, as a worker does). */
function tsxInstalled(): boolean {
  if (tsxFound === undefined) {
    try {
      createRequire(import.meta.url).resolve('tsx/esm/api');
      tsxFound = true;
    } catch {
      tsxFound = false;
    }
  }
  return tsxFound;
}

/** Throws the typed error for the first executor whose module cannot be loaded as named. */
export function checkExecutorModules(locations: Iterable<ExecutorLocation>): void {
  for (const location of locations) {
    const details = { executorId: location.id, module: location.module, exportName: location.exportName };
    const kind = moduleKind(location.module, fileExists);
    if (kind.kind === 'invalid') {
      throw new SuperstepError('INVALID_EXECUTOR_REF', `executor "${location.id}": ${kind.reason}`, { details });
    }
    if (kind.kind === 'missing') {
      throw new SuperstepError(
        'EXECUTOR_LOAD_FAILED',
        `executor "${location.id}": module ${fileURLToPath(kind.file)} does not exist` +
          (kind.file.endsWith('.ts')
            ? ' (a compiled project has the .js file: name it with the .js extension, which also works under tsx)'
            : ''),
        { details },
      );
    }
    if (kind.kind === 'typescript' && !tsxInstalled()) {
      throw new SuperstepError(
        'OPTIONAL_DEPENDENCY_MISSING',
        `executor "${location.id}": module ${fileURLToPath(kind.file)} is TypeScript and no loader is installed: ` +
          'run `npm install tsx`, or compile your executors and name the .js file',
        { details: { ...details, package: 'tsx', neededFor: 'executor modules written in TypeScript' } },
      );
    }
  }
}
