/**
 * Guarantee 52 (docs/guarantees.md#g52) within one process: a leased instance is held by one run at a time
 * across `Workflow` objects, and a run whose fencing token the store has moved past fails with
 * `LEASE_LOST` and commits nothing more. The same contract across processes, with NATS and PostgreSQL, is
 * in `lease-across-processes.test.ts`. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createLocalLease,
  createMemoryStore,
  createPool,
  executorModule,
  openFileStore,
  type ActorPool,
  type WorkflowEvent,
  type WorkflowOptions,
} from '@superstep/runtime';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGate, drain, ofType, statuses } from './helpers.ts';

const req = executorModule<typeof import('./fixtures/requests.ts')>(new URL('./fixtures/requests.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** hold alone: waits at the gate on `port` in superstep 1. */
function holding(options: WorkflowOptions) {
  return new WorkflowBuilder(req.executor('holder', { id: 'hold' })).build({ pool, ...options });
}

/** Reads events until one of `type` has come (the iterator stays open: breaking out would cancel the run). */
async function readUntil(iterator: AsyncIterator<WorkflowEvent>, type: WorkflowEvent['type']): Promise<void> {
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`the run ended before a ${type} event`);
    if (next.value.type === type) return;
  }
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

describe('guarantee 52: a leased instance, one run at a time across workflow objects', () => {
  it('while one workflow runs the instance, another with the same name and lease gets WORKFLOW_BUSY; after it, runs', async () => {
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using store = createMemoryStore();
    const lease = createLocalLease();
    await using a = await holding({ name: 'orders', lease, store });
    await using b = await holding({ name: 'orders', lease, store });
    const running = a.run({ item: 'a', port: gate.port });
    const iterator = running[Symbol.asyncIterator]();
    await readUntil(iterator, 'superstep.started');

    const busy = await drain(b.run({ item: 'b' }));
    expect(codeOf(busy.error)).toBe('WORKFLOW_BUSY');
    expect(ofType(busy.events, 'run.failed').map((event) => event.error.code)).toEqual(['WORKFLOW_BUSY']);
    expect(statuses(busy.events).at(-1)).toBe('failed');
    // Idle-only operations hold the lease too.
    expect(codeOf(await b.createCheckpoint().catch((error: unknown) => error))).toBe('WORKFLOW_BUSY');

    gate.open();
    while ((await iterator.next()).done !== true);
    expect((await running.result()).outputs).toEqual([{ held: 'go', superstep: 1 }]);
    expect((await b.run({ item: 'b' }).result()).outputs).toEqual([{ held: 'no gate', superstep: 1 }]);
  });

  it('a run whose fence the store moved past (a newer holder) fails with LEASE_LOST and writes no later checkpoint', async () => {
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using store = createMemoryStore();
    const logger = { warn: () => undefined };
    await using workflow = await holding({ name: 'orders', lease: createLocalLease(), store, logger });
    const run = workflow.run({ item: 'a', port: gate.port });
    const iterator = run[Symbol.asyncIterator]();
    await readUntil(iterator, 'checkpoint.saved');
    // Another coordinator took the instance over: its hold advanced the store's fence past ours.
    await store.advanceFence?.({ instance: 'orders', token: 1_000_000 });
    gate.open();
    const rest: WorkflowEvent[] = [];
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) rest.push(next.value);
    expect(codeOf(await run.result().catch((error: unknown) => error))).toBe('LEASE_LOST');
    expect(ofType(rest, 'run.failed').map((event) => event.error.code)).toEqual(['LEASE_LOST']);
    expect(rest.at(-1)).toEqual({ type: 'status', status: 'failed', final: true });
    expect((await store.list()).map((meta) => meta.superstep)).toEqual([0]);
  });

  it('refuses a lease without a name, or with a store that cannot check fencing tokens (INVALID_OPTION)', async () => {
    const lease = createLocalLease();
    const directory = await mkdtemp(join(tmpdir(), 'superstep-lease-'));
    try {
      await using fileStore = await openFileStore({ directory });
      await expect(holding({ lease })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        details: { option: 'options.name' },
      });
      await expect(holding({ name: 'orders', lease, store: fileStore })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        details: { option: 'store' },
      });
      // A run's own store is checked the same way, before the lease is taken.
      await using workflow = await holding({ name: 'orders', lease });
      const refused = await drain(workflow.run({ item: 'x' }, { store: fileStore }));
      expect(codeOf(refused.error)).toBe('INVALID_OPTION');
      expect((await workflow.run({ item: 'x' }).result()).status).toBe('idle');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
