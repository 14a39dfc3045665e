/**
 * A failure of the runtime itself inside a superstep leaves the instance usable (docs/reliability.md,
 * "A failed superstep commits nothing"): the run fails with INTERNAL, the instance is idle at its last
 * barrier with the superstep's messages queued, and the next `resume()`, `restore()` + `resume()` or
 * `run()` completes with exactly the outputs of an undisturbed run.
 *
 * Failures are injected at each stage a superstep goes through on the main thread, through the public
 * `pool` option: the workflow is built on a view of a real pool (real threads) whose hosts fail once, in
 * one chosen superstep. Before the fix, a batch that failed to encode left a reply waiter behind, and the
 * next run on the instance never settled.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createMemoryStore,
  createPool,
  type ActorPool,
  type HostLink,
  type StepBatch,
  type StepReply,
} from '@superstep/runtime';
import { loopGraph } from './checkpoint-graph.ts';
import type { Joined } from './fixtures/checkpoints.ts';
import { drain, ofType, type CodedError } from './helpers.ts';

/** Only keeps a broken runtime from hanging the suite; no assertion is about time. */
const BOUND_MS = 15_000;

/** Where in a superstep the runtime fails. */
type Stage =
  /** The batch cannot be encoded (a value nested past what msgpackr's recursion can take). */
  | 'encode'
  /** Sending the batch throws before anything is posted. */
  | 'send'
  /** The host replies, and the reply's events cannot be read. */
  | 'reply events'
  /** The host replies, and the reply's snapshots cannot be read (after the barrier, before the commit). */
  | 'reply snapshots'
  /** The host's rollback or commit call fails (a superstep failed for another reason first). */
  | 'rollback and commit';
const STAGES: readonly Stage[] = ['encode', 'send', 'reply events', 'reply snapshots', 'rollback and commit'];

/** Strikes once, on the first batch of superstep `superstep` while armed. */
interface Fault {
  stage: Stage;
  superstep: number;
  armed: boolean;
}

function deeplyNested(levels: number): unknown {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

/** A view of `link` that fails as `fault` says. */
function faultyHost(link: HostLink, fault: Fault): HostLink {
  const strikes = (batch: StepBatch): boolean => {
    if (!fault.armed || batch.superstep !== fault.superstep) return false;
    fault.armed = fault.stage === 'rollback and commit';
    return true;
  };
  const step = async (batch: StepBatch): Promise<StepReply> => {
    if (!strikes(batch)) return await link.step(batch);
    switch (fault.stage) {
      case 'encode':
        return await link.step({
          ...batch,
          deliveries: [...batch.deliveries, ['seed', deeplyNested(20_000)]],
        } as StepBatch);
      case 'send':
        throw new TypeError('injected: sending failed');
      case 'reply events':
        return { ...(await link.step(batch)), events: 7 } as unknown as StepReply;
      case 'reply snapshots':
        return { ...(await link.step(batch)), snapshots: null } as unknown as StepReply;
      case 'rollback and commit':
        return {
          ...(await link.step(batch)),
          failure: { executorId: 'seed', error: { code: 'EXECUTOR_FAILED', name: 'Error', message: 'injected' } },
        };
    }
  };
  const control = new Proxy(link.control, {
    get(target, property, receiver) {
      if (fault.armed && fault.stage === 'rollback and commit' && (property === 'rollback' || property === 'commit')) {
        return () => Promise.reject(new TypeError(`injected: ${property} failed`));
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return new Proxy(link, {
    get(target, property) {
      if (property === 'step') return step;
      if (property === 'control') return control;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A view of `pool` whose hosts fail as `fault` says; everything else is the pool itself. */
function faultyPool(pool: ActorPool, fault: Fault): ActorPool {
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'host') return (index: number) => faultyHost(target.host(index), fault);
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not settle`));
    }, BOUND_MS);
  });
  return Promise.race([promise, bound]).finally(() => {
    clearTimeout(timer);
  });
}

let pool: ActorPool;
/** What an undisturbed run of `{ i: 1 }` yields (8 supersteps; join yields in 4 and 8). */
let expected: Joined[];
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
  await using wf = await loopGraph().build({ pool });
  expected = (await wf.run({ i: 1 }).result()).outputs as Joined[];
  expect(expected.length).toBeGreaterThan(0);
});
afterAll(async () => {
  await pool.close();
});

it('property: a runtime failure at any stage of any superstep fails the run with INTERNAL and leaves an instance whose next resume, restore or run completes', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...STAGES), fc.integer({ min: 1, max: 8 }), async (stage, superstep) => {
      const fault: Fault = { stage, superstep, armed: true };
      const store = createMemoryStore();
      await using wf = await loopGraph().build({ pool: faultyPool(pool, fault), store, name: 'loop' });
      const failed = await bounded(drain(wf.run({ i: 1 })), 'the failing run');
      fault.armed = false;
      const code = (failed.error as CodedError | undefined)?.code;
      seen.add(`${stage}: ${String(code)}`);
      expect(code).toBe(stage === 'rollback and commit' ? 'EXECUTOR_FAILED' : 'INTERNAL');
      expect(wf.status).toBe('idle');
      const before = ofType(failed.events, 'output').map((event) => event.data as Joined);

      // Resume: the failed superstep runs again, and the run ends as an undisturbed one.
      const resumed = await bounded(wf.resume().result(), 'resume after the failure');
      expect([...before, ...(resumed.outputs as Joined[])]).toEqual(expected);

      // Restore the failed run's last checkpoint and resume it again.
      const metas = await store.list();
      const last = metas
        .filter((meta) => meta.runId === failed.events.find((e) => e.type === 'run.started')?.runId)
        .at(-1);
      if (last !== undefined) {
        await bounded(wf.restore(last.id), 'restore');
        const again = await bounded(wf.resume().result(), 'resume after restore');
        expect([
          ...expected.filter((output) => output.superstep <= last.superstep),
          ...(again.outputs as Joined[]),
        ]).toEqual(expected);
      }
      // Actor state carries over from run to run: from the initial state, a new run yields what the first did.
      await wf.reset();
      expect((await bounded(wf.run({ i: 1 }).result(), 'the next run')).outputs).toEqual(expected);
    }),
    { seed: 13, numRuns: 16 },
  );
  expect(seen.size).toBeGreaterThanOrEqual(STAGES.length);
});
