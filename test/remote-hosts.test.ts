/**
 * Actors on `superstep-host` processes over NATS (docs/distributed.md): the same workflow gives the same
 * outputs in process and on two host processes, and a checkpoint made on either restores on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '@superstep/runtime';
import { connectHosts, type NatsHostSet } from '@superstep/runtime/nats';
import { killChildren } from './child-process.ts';
import type { Job } from './fixtures/ledger.ts';
import { canonical, expectedLedgers, ledgerGraph, ledgersOf } from './ledger-graph.ts';
import { natsAnswers, NATS_URL, startHost, TEST_ROOT, uniqueBucket } from './nats-hosts.ts';

const up = await natsAnswers();
if (!up) console.warn('NATS is not answering at 127.0.0.1:4222: the remote host tests are skipped');

const ROUNDS = 3;
const bucket = uniqueBucket('remote_hosts');
let set: NatsHostSet;

describe.skipIf(!up)('remote actor hosts over NATS', () => {
  beforeAll(async () => {
    await Promise.all([startHost({ bucket, hostId: 'rh-a' }), startHost({ bucket, hostId: 'rh-b' })]);
    set = await connectHosts({ servers: NATS_URL, bucket, moduleRoot: TEST_ROOT, minHosts: 2, lostAfterMs: 1500 });
  }, 60_000);

  afterAll(async () => {
    await (set as NatsHostSet | undefined)?.close();
    killChildren();
  });

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
});
