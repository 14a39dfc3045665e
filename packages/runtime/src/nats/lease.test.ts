/**
 * The NATS lease against the real local server (skipped, with a warning naming the URL, only if none
 * answers): reserve, renew, expire, steal, release. Each test uses its own bucket, destroyed at the end.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, describe, expect, it } from 'vitest';
import { isSuperstepError } from '../shared/errors.ts';
import type { InstanceLease, LeaseHold } from '../main/run/instance-lease.ts';
import { natsLease, type NatsLeaseOptions } from './lease.ts';
import { natsToken } from './nats-client.ts';
import { NATS_URL, probeNats, startPrivateNats } from './fixtures/nats-probe.ts';

const nats = await probeNats();
if (!nats.reachable) console.warn(`No NATS server at ${NATS_URL} (${nats.reason}): skipping the NATS lease tests.`);

/** Blocks this thread, as a paused (SIGSTOPped, swapped-out) process would be: no timer fires meanwhile. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Resolves when the hold is lost (at once if it already is). */
function lost(hold: LeaseHold): Promise<void> {
  if (hold.signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    hold.signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!nats.reachable)(`NATS lease at ${NATS_URL}`, () => {
  const buckets: string[] = [];
  const leases: InstanceLease[] = [];
  const open = (options: NatsLeaseOptions & { bucket: string }): InstanceLease => {
    const lease = natsLease({ servers: NATS_URL, ...options });
    leases.push(lease);
    return lease;
  };
  const newBucket = (): string => {
    const bucket = `superstep_test_${process.pid}_${randomBytes(3).toString('hex')}`;
    buckets.push(bucket);
    return bucket;
  };

  afterAll(async () => {
    await Promise.allSettled(leases.map((lease) => lease.close()));
    const connection = await connect({ servers: NATS_URL });
    const kvm = new Kvm(connection);
    await Promise.allSettled(buckets.map(async (bucket) => (await kvm.open(bucket)).destroy()));
    await connection.close();
  });

  it('reserves an instance for one holder: a second acquire gets WORKFLOW_BUSY naming the holder', async () => {
    const bucket = newBucket();
    const a = open({ bucket, holder: 'coordinator-a' });
    const b = open({ bucket, holder: 'coordinator-b' });
    const hold = await a.acquire('orders');
    expect(hold.token).toBeGreaterThan(0);
    const refused = await b.acquire('orders').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSuperstepError(refused, 'WORKFLOW_BUSY')).toBe(true);
    expect((refused as { details: Record<string, unknown> }).details).toMatchObject({
      instance: 'orders',
      holder: 'coordinator-a',
    });
    // Other instances are independent, names with any characters included.
    const other = await b.acquire('orders/EU *.> é');
    expect(other.token).toBeGreaterThan(hold.token);
    await Promise.all([hold.release(), other.release()]);
  });

  it('after release the next holder gets the instance at once, with a higher fencing token', async () => {
    const bucket = newBucket();
    const a = open({ bucket });
    const b = open({ bucket });
    const first = await a.acquire('orders');
    await first.release();
    const second = await b.acquire('orders');
    expect(second.token).toBeGreaterThan(first.token);
    expect(first.signal.aborted).toBe(false);
    await second.release();
  });

  it('renewal keeps a hold alive past its TTL for as long as it lives', async () => {
    const bucket = newBucket();
    const a = open({ bucket, ttlMs: 400, renewEveryMs: 100 });
    const b = open({ bucket, ttlMs: 400 });
    const hold = await a.acquire('orders');
    await sleep(1200);
    const refused = await b.acquire('orders').catch((error: unknown) => error);
    expect(isSuperstepError(refused, 'WORKFLOW_BUSY')).toBe(true);
    expect(hold.signal.aborted).toBe(false);
    await hold.release();
  });

  it('a holder paused past its TTL loses the hold (LEASE_LOST), and another takes it with a higher token', async () => {
    const bucket = newBucket();
    const a = open({ bucket, ttlMs: 400, renewEveryMs: 100 });
    const b = open({ bucket, ttlMs: 400 });
    const hold = await a.acquire('orders');
    freeze(600);
    // The server expired the key while this thread was frozen; the contender gets it.
    const taken = await b.acquire('orders');
    expect(taken.token).toBeGreaterThan(hold.token);
    // The holder judges its own expiry when its timer finally runs.
    await lost(hold);
    expect(isSuperstepError(hold.signal.reason, 'LEASE_LOST')).toBe(true);
    await taken.release();
  });

  it('a hold whose key another coordinator took is lost at its next renewal (the revision no longer matches)', async () => {
    const bucket = newBucket();
    const a = open({ bucket, ttlMs: 3000, renewEveryMs: 100 });
    const hold = await a.acquire('orders');
    // An operator purges the key and another coordinator creates it, well inside the TTL.
    const connection: NatsConnection = await connect({ servers: NATS_URL });
    try {
      const kv = await new Kvm(connection).open(bucket);
      await kv.purge(natsToken('orders'));
      await kv.create(natsToken('orders'), 'intruder');
      await lost(hold);
      expect(isSuperstepError(hold.signal.reason, 'LEASE_LOST')).toBe(true);
      expect(hold.signal.reason).toMatchObject({ details: { instance: 'orders', token: hold.token } });
      // Its release deletes nothing it does not own.
      await hold.release();
      expect((await kv.get(natsToken('orders')))?.string()).toBe('intruder');
    } finally {
      await connection.close();
    }
  });

  it('a holder that cannot reach NATS declares the hold lost once its TTL has run out', async (context) => {
    // A server of this test's own, killed under the holder (the shared one must stay up for everyone else).
    const server = await startPrivateNats();
    if (server === undefined) return context.skip('nats-server is not installed: cannot start a server to kill');
    try {
      const a = open({ servers: server.url, bucket: newBucket(), ttlMs: 400, renewEveryMs: 100 });
      const hold = await a.acquire('orders');
      await server.stop();
      await lost(hold);
      expect(isSuperstepError(hold.signal.reason, 'LEASE_LOST')).toBe(true);
      expect(hold.signal.reason).toMatchObject({ details: { instance: 'orders', token: hold.token } });
    } finally {
      await server.stop();
    }
  });

  it('closing the lease loses the holds still out (LEASE_LOST) and frees their instances at once', async () => {
    const bucket = newBucket();
    const a = open({ bucket });
    const hold = await a.acquire('orders');
    await a.close();
    expect(isSuperstepError(hold.signal.reason, 'LEASE_LOST')).toBe(true);
    const taken = await open({ bucket }).acquire('orders');
    expect(taken.token).toBeGreaterThan(hold.token);
    await taken.release();
    await expect(a.acquire('orders')).rejects.toMatchObject({ code: 'WORKFLOW_CLOSED' });
  });

  it('refuses a TTL that differs from the existing bucket’s, and bad options, with INVALID_OPTION', async () => {
    const bucket = newBucket();
    await (await open({ bucket, ttlMs: 1000 }).acquire('x')).release();
    const mismatched = await open({ bucket, ttlMs: 2000 })
      .acquire('x')
      .catch((error: unknown) => error);
    expect(mismatched).toMatchObject({
      code: 'INVALID_OPTION',
      details: { option: 'options.ttlMs', bucketTtlMs: 1000 },
    });
    const refusal = (options: NatsLeaseOptions): unknown => {
      try {
        natsLease(options);
        return undefined;
      } catch (error) {
        return error;
      }
    };
    expect(refusal({ servers: NATS_URL, ttlMs: 1000, renewEveryMs: 1000 })).toMatchObject({
      code: 'INVALID_OPTION',
      details: { option: 'options.renewEveryMs' },
    });
    expect(refusal({ servers: [] })).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'servers' } });
    expect(refusal({ servers: NATS_URL, bucket: 'a.b' })).toMatchObject({
      code: 'INVALID_OPTION',
      details: { option: 'options.bucket' },
    });
  });
});
