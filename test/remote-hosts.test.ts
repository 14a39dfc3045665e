/**
 * Actors on `superstep-host` processes over NATS (docs/distributed.md): the same workflow gives the same
 * outputs in process and on two host processes, and a checkpoint made on either restores on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, executorModule, WorkflowBuilder } from '@superstep/runtime';
import { connectHosts, connectNats, type NatsHostSet } from '@superstep/runtime/nats';
import { digest, pattern } from './fixtures/big-payload.ts';
import { rejectionOf } from './helpers.ts';
import { killChildren } from './child-process.ts';
import type { Job } from './fixtures/ledger.ts';
import { canonical, expectedLedgers, ledgerGraph, ledgersOf } from './ledger-graph.ts';
import { natsAnswers, NATS_URL, startHost, TEST_ROOT, uniqueBucket } from './nats-hosts.ts';

const up = await natsAnswers();
if (!up) console.warn('NATS is not answering at 127.0.0.1:4222: the remote host tests are skipped');

const ROUNDS = 3;
const big = executorModule<typeof import('./fixtures/big-payload.ts')>(
  new URL('./fixtures/big-payload.ts', import.meta.url),
);
const bigGraph = (): WorkflowBuilder => new WorkflowBuilder(big.executor('keep')).addEdge('keep', big.executor('echo'));
const retries = executorModule<typeof import('./fixtures/retries.ts')>(
  new URL('./fixtures/retries.ts', import.meta.url),
);
const bucket = uniqueBucket('remote_hosts');
let set: NatsHostSet;

beforeAll(async () => {
  if (!up) return;
  await Promise.all([startHost({ bucket, hostId: 'rh-a' }), startHost({ bucket, hostId: 'rh-b' })]);
  set = await connectHosts({ servers: NATS_URL, bucket, moduleRoot: TEST_ROOT, minHosts: 2, lostAfterMs: 1500 });
}, 60_000);

afterAll(async () => {
  await (set as NatsHostSet | undefined)?.close();
  killChildren();
});

describe.skipIf(!up)('remote actor hosts over NATS', () => {
  it('runs a workflow on two host processes with the outputs it has in process', async () => {
    await using local = await ledgerGraph().build({ threads: 2 });
    const expected = canonical((await local.run({ rounds: ROUNDS } satisfies Job).result()).outputs);
    await using remote = await ledgerGraph().build({ pool: set });
    const outputs = canonical((await remote.run({ rounds: ROUNDS } satisfies Job).result()).outputs);
    expect(outputs).toEqual(expected);
    expect(ledgersOf(outputs)).toEqual(expectedLedgers(ROUNDS));
    // Both processes did work.
    const usage = set.usage();
    expect(usage.map((host) => host.hostId).sort()).toEqual(['rh-a', 'rh-b']);
    for (const host of usage) expect(host.batches).toBeGreaterThan(0);
  }, 60_000);

  it('restores a checkpoint written on remote hosts in process, and one written in process on remote hosts', async () => {
    const store = createMemoryStore();
    const name = 'ledger';
    await using remote = await ledgerGraph().build({ pool: set, store, name });
    await using local = await ledgerGraph().build({ threads: 2, store, name });
    const expected = expectedLedgers(ROUNDS);
    for (const [writer, reader] of [
      [remote, local],
      [local, remote],
    ] as const) {
      await writer.reset();
      const { runId } = await writer.run({ rounds: ROUNDS } satisfies Job).result();
      const middle = (await store.list({ runId })).find((meta) => meta.superstep === 4);
      expect(middle).toBeDefined();
      await reader.restore(middle?.id ?? '');
      const resumed = canonical((await reader.resume().result()).outputs);
      expect(ledgersOf(resumed)).toEqual(expected);
    }
  }, 60_000);

  it('carries a batch, a snapshot and an output larger than max_payload (1 MiB) whole', async () => {
    const length = 1_600_000;
    const store = createMemoryStore();
    await using remote = await bigGraph().build({ pool: set, store });
    const result = await remote.run({ length, seed: 7 }).result();
    const [output] = result.outputs as { length: number; digest: number; bytes: Uint8Array }[];
    expect(output?.length).toBe(length);
    expect(output?.digest).toBe(digest(pattern(length, 7)));
    // The kept state (a 1.6 MB snapshot sent back with the step reply) restores in process.
    const checkpoint = await store.latest({ runId: result.runId });
    await using local = await bigGraph().build({ threads: 1, store });
    await local.restore(checkpoint?.id ?? '');
    const again = await local.createCheckpoint();
    expect((await store.load(again.id))?.meta.blobHashes).toEqual(checkpoint?.blobHashes);
  }, 60_000);
});

describe.skipIf(!up)('remote actor hosts and what they must not run or trust', () => {
  it("refuses to load an executor module outside a host's allow-list, with a typed error", async () => {
    const strictBucket = uniqueBucket('allow_list');
    await startHost({ bucket: strictBucket, hostId: 'strict', args: ['--package', '@superstep/executors'] });
    await using strict = await connectHosts({ servers: NATS_URL, bucket: strictBucket, moduleRoot: TEST_ROOT });
    // A module under the coordinator's root, but the host serves no root.
    const underRoot = await rejectionOf(ledgerGraph().build({ pool: strict }));
    expect(underRoot.code).toBe('MODULE_NOT_ALLOWED');
    // A package the host was not told to trust.
    // (Typed as the fixture's module only to name an export: the host refuses before importing anything.)
    const stranger = executorModule<typeof import('./fixtures/big-payload.ts')>('node:child_process').executor('keep');
    const notListed = await rejectionOf(new WorkflowBuilder(stranger).build({ pool: strict }));
    expect(notListed.code).toBe('MODULE_NOT_ALLOWED');
    // A file outside the coordinator's moduleRoot never leaves the coordinator.
    await using narrow = await connectHosts({
      servers: NATS_URL,
      bucket,
      moduleRoot: new URL('./children/', TEST_ROOT),
      minHosts: 2,
    });
    expect((await rejectionOf(ledgerGraph().build({ pool: narrow }))).code).toBe('INVALID_EXECUTOR_REF');
  }, 60_000);

  it('keeps serving after garbage on its subjects (a throw in a handler would stop its reader)', async () => {
    const nc = await connectNats({ servers: NATS_URL });
    try {
      for (const subject of [
        'superstep.host.rh-a.t0.step',
        'superstep.host.rh-a.t0.control',
        'superstep.host.rh-a.bye',
        'superstep.host.rh-a.kill',
        'superstep.host.rh-a.t9.step',
      ]) {
        nc.publish(subject, new Uint8Array([0xc1, 0xff, 0x00]));
        await nc.request(subject, new Uint8Array([0xc1]), { timeout: 2000 }).catch(() => undefined);
      }
      await nc.flush();
    } finally {
      await nc.close();
    }
    await using remote = await ledgerGraph().build({ pool: set });
    const outputs = canonical((await remote.run({ rounds: ROUNDS } satisfies Job).result()).outputs);
    expect(ledgersOf(outputs)).toEqual(expectedLedgers(ROUNDS));
  }, 60_000);

  it('terminates a remote thread running past its executor timeout (EXECUTOR_TIMEOUT), and the instance runs again', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('overrun')).build({ pool: set });
    await expect(workflow.run('spin').result()).rejects.toMatchObject({
      code: 'EXECUTOR_TIMEOUT',
      details: { executorId: 'overrun', timeoutMs: 100 },
    });
    // The slot moved to a new lane (the thread was replaced): the instance was reloaded there.
    expect((await workflow.run('quick').result()).outputs).toEqual(['quick']);
  }, 60_000);
});
