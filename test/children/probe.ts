/**
 * Process-level probes (see the tests that start it): each scenario prints its outcome as `outcome <json>` and
 * then lets the process end by itself. A scenario that leaves a thread or handle behind keeps the process
 * alive; one that throws on the main thread crashes it: both show in how the process ends.
 *
 *   bad-option   build({ threads: 1, cancelGraceMs: -1 }) without a pool: refused, nothing left running
 *   tiny-heap    createPool with a heap limit too small for a worker to start
 *   dies-on-reload DIR  a replacement worker dies while its actors are reloaded; the run must still complete
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowBuilder, createPool, executorModule } from '@superstep/runtime';
import { drain, ofType } from '../helpers.ts';

const basic = executorModule<typeof import('../fixtures/basic.ts')>(new URL('../fixtures/basic.ts', import.meta.url));
const reload = executorModule<typeof import('../fixtures/dies-on-reload.ts')>(
  new URL('../fixtures/dies-on-reload.ts', import.meta.url),
);

const say = (outcome: unknown): void => {
  writeSync(1, `outcome ${JSON.stringify(outcome)}\n`);
};
const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code ?? String(error);

const scenario = process.argv[2] ?? '';
switch (scenario) {
  case 'bad-option':
    try {
      const workflow = await new WorkflowBuilder(basic.executor('sink')).build({ threads: 1, cancelGraceMs: -1 });
      await workflow.close();
      say({ refused: false });
    } catch (error) {
      say({ refused: codeOf(error) });
    }
    break;
  case 'tiny-heap':
    try {
      const pool = await createPool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 4 } });
      await pool.close();
      say({ started: true });
    } catch (error) {
      say({ refused: codeOf(error) });
    }
    break;
  case 'dies-on-reload': {
    // Files go to the directory the test gave (it removes it, even if this process has to be killed).
    const dir = process.argv[3];
    if (dir === undefined) throw new Error('dies-on-reload needs a scratch directory');
    process.env.SUPERSTEP_DIE_ON_IMPORT = join(dir, 'armed');
    await using workflow = await new WorkflowBuilder(basic.executor('forward'))
      .addEdge('forward', reload.executor('killOnce'))
      .build({ threads: 2 });
    const { events, result, error } = await drain(workflow.run({ marker: join(dir, 'killed'), value: 42 }));
    say({
      outputs: result?.outputs ?? null,
      error: error === undefined ? null : codeOf(error),
      restarts: ofType(events, 'worker.restarted').map((event) => event.attempt),
    });
    break;
  }
  default:
    throw new Error(`unknown scenario "${scenario}"`);
}
