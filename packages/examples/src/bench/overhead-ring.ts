/**
 * The ring of `superstep-overhead` (and `tracing-overhead`, which times the same shape): a seed fans the step
 * count out to `actors` relays, each forwarding one tiny message to the next per superstep.
 */
import { WorkflowBuilder, executorModule, type HostSet, type Workflow } from '@superstep/runtime';

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

/** Builds the ring of `actors` relays behind a seed that fans the step count out to all of them. */
export async function buildRing(pool: HostSet, actors: number): Promise<Workflow<number>> {
  const relays = Array.from({ length: actors }, (_, index) => mod.executor('overheadRelay', { id: `a${index}` }));
  const builder = new WorkflowBuilder(mod.executor('overheadSeed')).addFanOut('overheadSeed', relays);
  for (let index = 0; index < actors; index++) builder.addEdge(`a${index}`, `a${(index + 1) % actors}`);
  return await builder.build({ pool });
}
