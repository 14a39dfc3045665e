/**
 * The looping graph of fixtures/checkpoints.ts, shared by the checkpoint tests (guarantees 22–28) and the
 * malformed-checkpoint tests (guarantee 42): actor state in seed, left, right and join; a fan-in that is half
 * full across a barrier; shared state written and read. Input `{ i }` runs `i + 1` rounds of 4 supersteps;
 * join yields once per round (supersteps 4, 8, 12, …).
 *
 *   seed ─fan-out▶ left ▶ lag ─┐
 *              └─▶ right ──────┴─fan-in▶ join ▶ seed
 */
import { WorkflowBuilder, executorModule } from '@superstep/runtime';

const cp = executorModule<typeof import('./fixtures/checkpoints.ts')>(
  new URL('./fixtures/checkpoints.ts', import.meta.url),
);

export function loopGraph(): WorkflowBuilder {
  return new WorkflowBuilder(cp.executor('seed'))
    .addFanOut('seed', [cp.executor('left'), cp.executor('right')])
    .addEdge('left', cp.executor('lag'))
    .addFanIn(['lag', 'right'], cp.executor('join'))
    .addEdge('join', 'seed');
}
