/**
 * How executor modules are named (docs/concepts.md, "Naming executor modules"): by a URL or a package
 * specifier, checked by build() before any thread starts, with a typed error that names the module.
 */
import { WorkflowBuilder, createPool, executor, executorModule, type ActorPool } from '@superstep/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from './helpers.ts';

describe('executor module names', () => {
  let pool: ActorPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('the .js name of a TypeScript module loads it (as compiled output would be named) and the workflow runs', async () => {
    const mod = executorModule<typeof import('./fixtures/basic.js')>(new URL('./fixtures/basic.js', import.meta.url));
    const workflow = await new WorkflowBuilder(mod.executor('counter')).build({ pool });
    try {
      expect((await workflow.run('x').result()).outputs).toEqual([1]);
    } finally {
      await workflow.close();
    }
  });

  it('a relative module string is refused by build() with INVALID_EXECUTOR_REF naming it and saying to pass a URL', async () => {
    for (const module of ['./fixtures/basic.js', '../test/fixtures/basic.ts']) {
      const error = await rejectionOf(
        new WorkflowBuilder(executor('rel', { module, export: 'counter' })).build({ pool }),
      );
      expect(error.code).toBe('INVALID_EXECUTOR_REF');
      expect(error.details).toMatchObject({ executorId: 'rel', module });
      expect(error.message).toContain('import.meta.url');
    }
  });

  it('a file path instead of a URL is refused by build() with INVALID_EXECUTOR_REF', async () => {
    const module = new URL('./fixtures/basic.ts', import.meta.url).pathname;
    const error = await rejectionOf(
      new WorkflowBuilder(executor('path', { module, export: 'counter' })).build({ pool }),
    );
    expect(error.code).toBe('INVALID_EXECUTOR_REF');
    expect(error.message).toContain('pathToFileURL');
  });

  it('a module URL naming no file under either extension fails build() with EXECUTOR_LOAD_FAILED naming the file', async () => {
    const module = new URL('./fixtures/no-such-executors.js', import.meta.url).href;
    const error = await rejectionOf(
      new WorkflowBuilder(executor('gone', { module, export: 'counter' })).build({ pool }),
    );
    expect(error.code).toBe('EXECUTOR_LOAD_FAILED');
    expect(error.message).toContain('no-such-executors.js does not exist');
    expect(error.details).toMatchObject({ executorId: 'gone', module });
  });
});
