/**
 * An actor host served over bytes only (serve-host.ts), in a real worker thread: how it takes numbered
 * batches (the next one runs, a repeat is answered again without running, any other is refused), how a
 * batch commits prepared states, and that replies and control results carry the id they answer.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from '../shared/codec.ts';
import { ControlClient } from '../shared/control-bytes.ts';
import type { HostToMain, MainToHost, StepBatch, StepReply } from '../shared/protocol.ts';

const COUNTER = new URL('./fixtures/counter.ts', import.meta.url).href;

/** A host in a worker, spoken to as a remote one: every message is codec bytes. */
class BytesHost {
  readonly worker = new Worker(new URL('./fixtures/bytes-host.mjs', import.meta.url));
  readonly client = new ControlClient((call) => {
    this.send(call);
  });
  /** Step replies in the order they arrived. */
  readonly replies: StepReply[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor() {
    this.worker.on('message', (bytes: Uint8Array) => {
      const message = decode(bytes) as HostToMain;
      if (message.op === 'result') this.client.settle(message);
      else if (message.op === 'done') {
        this.replies.push(message);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
  }

  send(message: MainToHost): void {
    this.worker.postMessage(encode(message));
  }

  /** Resolves once `count` replies have arrived in all. */
  async repliesReach(count: number): Promise<StepReply[]> {
    while (this.replies.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.replies;
  }

  async load(instance: string): Promise<void> {
    await this.client.control.loadInstance({
      instance,
      executors: [{ id: 'counter', module: COUNTER, exportName: 'counter' }],
      actors: ['counter'],
      snapshots: [],
      shared: [],
    });
  }
}

/** Batch number `seq` of `instance`, for superstep `seq` (one batch per superstep here). */
function batch(instance: string, seq: number, delayMs = 0): StepBatch {
  return {
    op: 'step',
    instance,
    run: 1,
    superstep: seq,
    seq,
    shared: [],
    deliveries: [['counter', ['$input', delayMs]]],
    continuation: false,
    timed: false,
    keySnapshots: false,
    commitPrepared: false,
  };
}

let host: BytesHost | undefined;
afterEach(async () => {
  await host?.worker.terminate();
  host = undefined;
});

describe('actor host over bytes: numbered batches', () => {
  it('refuses a batch that is not the next one, and runs the next one when it comes', async () => {
    host = new BytesHost();
    await host.load('i');
    host.send(batch('i', 2));
    host.send(batch('i', 1));
    const [refused, ran] = await host.repliesReach(2);
    expect(refused).toMatchObject({ seq: 2, outputs: [], snapshots: [] });
    expect(refused?.failure?.error).toMatchObject({ code: 'INTERNAL', details: { seq: 2, expectedSeq: 1 } });
    expect(ran).toMatchObject({ seq: 1, outputs: [['counter', 1]], failure: null });
  });

  it('answers a repeated batch with the reply it gave, and does not apply it twice', async () => {
    host = new BytesHost();
    await host.load('i');
    host.send(batch('i', 1));
    host.send(batch('i', 1)); // redelivered: the same batch again
    const [first, repeat] = await host.repliesReach(2);
    expect(repeat).toEqual(first);
    // The next superstep commits superstep 1 once: the count goes on from 1, not from 2.
    host.send(batch('i', 2));
    const replies = await host.repliesReach(3);
    expect(replies[2]).toMatchObject({ seq: 2, outputs: [['counter', 2]], failure: null });
  });

  it('a late commit or rollback of an earlier superstep leaves the drafts of a later one alone', async () => {
    host = new BytesHost();
    await host.load('i');
    host.send(batch('i', 1));
    host.send(batch('i', 2));
    await host.repliesReach(2);
    // Superstep 2's drafts await their verdict; a rollback naming superstep 1 arrives late and is ignored.
    await host.client.control.rollback('i', { run: 1, superstep: 1 });
    host.send(batch('i', 3));
    const replies = await host.repliesReach(3);
    expect(replies[2]).toMatchObject({ outputs: [['counter', 3]] });
    // A rollback naming superstep 3 drops its drafts: superstep 4 counts from 2 again.
    await host.client.control.rollback('i', { run: 1, superstep: 3 });
    host.send(batch('i', 4));
    expect((await host.repliesReach(4))[3]).toMatchObject({ outputs: [['counter', 3]] });
  });

  it('a late end-of-run commit of an earlier superstep does not commit a later one, so a rollback still drops it', async () => {
    // The coordinator sends a run's last commit without waiting for it: it may come after the next run's batch.
    host = new BytesHost();
    await host.load('i');
    host.send(batch('i', 1));
    host.send(batch('i', 2));
    await host.repliesReach(2);
    await host.client.control.commit('i', { run: 1, superstep: 1 });
    await host.client.control.rollback('i', { run: 1, superstep: 2 });
    host.send(batch('i', 3));
    // Superstep 2's drafts were dropped: superstep 3 counts from superstep 1's committed 1.
    expect((await host.repliesReach(3))[2]).toMatchObject({ outputs: [['counter', 2]] });
  });

  it('each reply names the batch it answers, so replies that arrive out of order are matched by id', async () => {
    host = new BytesHost();
    await Promise.all([host.load('slow'), host.load('fast')]);
    host.send(batch('slow', 1, 50));
    host.send(batch('fast', 1));
    const replies = await host.repliesReach(2);
    expect(replies.map((reply) => [reply.instance, reply.seq, reply.outputs])).toEqual([
      ['fast', 1, [['counter', 1]]],
      ['slow', 1, [['counter', 1]]],
    ]);
  });
});

describe('actor host over bytes: prepared states', () => {
  it('prepared states become committed with the batch that carries the commit, before it runs, and not before', async () => {
    host = new BytesHost();
    await host.load('i');
    host.send(batch('i', 1));
    await host.repliesReach(1);
    await host.client.control.prepareStates('i', {
      snapshots: [['counter', encode({ count: 40 })]],
      shared: [],
      runResetHooks: false,
    });
    // A batch without the flag runs on the state as it was (superstep 1 committed: 1 → 2).
    host.send(batch('i', 2));
    await host.repliesReach(2);
    host.send({ ...batch('i', 3), commitPrepared: true });
    const replies = await host.repliesReach(3);
    expect(replies.map((reply) => reply.outputs)).toEqual([[['counter', 1]], [['counter', 2]], [['counter', 41]]]);
  });

  it('a batch carrying a commit of states never prepared fails as INTERNAL, and the host serves on', async () => {
    host = new BytesHost();
    await host.load('i');
    host.send({ ...batch('i', 1), commitPrepared: true });
    const [refused] = await host.repliesReach(1);
    expect(refused?.failure?.error).toMatchObject({ code: 'INTERNAL' });
    expect(refused?.outputs).toEqual([]);
    host.send(batch('i', 2));
    expect((await host.repliesReach(2))[1]).toMatchObject({ outputs: [['counter', 1]], failure: null });
  });
});

describe('control calls over bytes', () => {
  it('results are matched to calls by id, in whatever order they come back', async () => {
    const sent: number[] = [];
    const client = new ControlClient((call) => sent.push(call.id));
    const ping = client.control.ping();
    const check = client.control.validateResponse('i', 'e', 1);
    const [pingId, checkId] = sent as [number, number];
    client.settle({ op: 'result', id: checkId, ok: true, value: { ok: true, value: 1 } });
    client.settle({
      op: 'result',
      id: pingId,
      ok: false,
      error: { name: 'SuperstepError', code: 'WORKER_LOST', message: 'gone', details: {} },
    });
    await expect(check).resolves.toEqual({ ok: true, value: 1 });
    await expect(ping).rejects.toMatchObject({ code: 'WORKER_LOST' });
  });

  it('a host answers control calls over bytes with typed errors', async () => {
    host = new BytesHost();
    await expect(host.client.control.commitPrepared('nowhere')).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(host.client.control.ping()).resolves.toMatchObject({ instances: 0 });
  });
});
