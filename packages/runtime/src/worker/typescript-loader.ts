/**
 * Loads executor modules in a host. JavaScript modules are imported as they are; TypeScript source (a
 * `.ts` file, or a `.js` name whose file is `.ts`, as in a project run from sources) first registers tsx in
 * this thread, once. tsx is an optional peer dependency: a thread that never meets TypeScript never loads it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { moduleKind } from '../shared/module-kind.ts';
import { importOptional } from '../shared/optional-dependency.ts';

/** Set by the workspace's source entry, which registers tsx before the runtime's own TypeScript loads. */
const REGISTERED = Symbol.for('superstep.typescript-loader');

let registering: Promise<void> | undefined;

function registerTsx(): Promise<void> {
  const global = globalThis as { [REGISTERED]?: boolean };
  if (global[REGISTERED] === true) return Promise.resolve();
  registering ??= importOptional('tsx', 'executor modules written in TypeScript', () => import('tsx/esm/api')).then(
    ({ register }) => {
      register();
      global[REGISTERED] = true;
    },
  );
  return registering;
}

/** Imports an executor module by its specifier, registering a TypeScript loader first if it needs one. */
export async function importExecutorModule(specifier: string): Promise<Record<string, unknown>> {
  const kind = moduleKind(specifier, (url) => existsSync(fileURLToPath(url)));
  if (kind.kind === 'typescript') await registerTsx();
  return (await import(specifier)) as Record<string, unknown>;
}
