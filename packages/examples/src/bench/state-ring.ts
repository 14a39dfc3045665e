/**
 * What `checkpoint-overhead` and `restore` share: the ring of 64 actors with ~16 KB of state each (see
 * `stateActor` in executors.ts), and a checkpoint store wrapper that counts the bytes it is given.
 */
import {
  WorkflowBuilder,
  executorModule,
  type ActorPool,
  type CheckpointStore,
  type CheckpointWrite,
  type Workflow,
} from '@superstep/runtime';
import type { StateStep } from './executors.ts';

export const STATE_ACTORS = 64;
/** Of the 64 actors, 64 / 8 = 8 change state per superstep. */
export const CHANGE_EVERY = 8;

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

/** The ring `s0 → s1 → … → s63 → s0` behind a seed that fans its message out to every actor. */
export async function buildStateRing(pool: ActorPool): Promise<Workflow<StateStep>> {
  const actors = Array.from({ length: STATE_ACTORS }, (_, index) => mod.executor('stateActor', { id: `s${index}` }));
  const builder = new WorkflowBuilder(mod.executor('stateSeed')).addFanOut('stateSeed', actors);
  for (let index = 0; index < STATE_ACTORS; index++) builder.addEdge(`s${index}`, `s${(index + 1) % STATE_ACTORS}`);
  return await builder.build({ pool, name: 'bench-state-ring' });
}

/** The set-up run: every actor writes its own distinct state once (one superstep after the seed's). */
export const INIT_STEP: StateStep = { remaining: 1, all: true, every: CHANGE_EVERY };

/** A measured run: S supersteps of the ring after the seed's, 8 actors changing state in each. */
export function ringSteps(steps: number): StateStep {
  return { remaining: steps, all: false, every: CHANGE_EVERY };
}

/** A store that passes everything through and adds up what `save` was given: body and blob bytes. */
export interface CountingStore {
  readonly store: CheckpointStore;
  /** Bytes and saves since the last `reset()`. */
  readonly bytes: number;
  readonly saves: number;
  reset(): void;
}

export function countingStore(inner: CheckpointStore): CountingStore {
  let bytes = 0;
  let saves = 0;
  const store: CheckpointStore = {
    kind: inner.kind,
    async save(write: CheckpointWrite) {
      bytes += write.body.byteLength;
      for (const [, blob] of write.blobs) bytes += blob.byteLength;
      saves++;
      await inner.save(write);
    },
    load: (id) => inner.load(id),
    list: (filter) => inner.list(filter),
    latest: (filter) => inner.latest(filter),
    delete: (id) => inner.delete(id),
    prune: (policy) => inner.prune(policy),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  return {
    store,
    get bytes() {
      return bytes;
    },
    get saves() {
      return saves;
    },
    reset() {
      bytes = 0;
      saves = 0;
    },
  };
}
