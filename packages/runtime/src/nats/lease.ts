/**
 * A workflow instance reserved across processes through a NATS KV lease (guarantee 52).
 *
 * - Reserve: `create` on the instance's key, which JetStream refuses (API error 10071) while the key exists.
 * - Fencing token: the revision `create` returned. Revisions are the bucket stream's sequence numbers, so a
 *   later hold's token is always higher than an earlier one's.
 * - Renew: `update` with the last revision every `renewEveryMs`; 10071 means another holder took the key,
 *   so the hold is lost.
 * - Expire: the bucket's `max_age` is the TTL. Each renewal writes a new message, so the key lives while it
 *   is renewed and disappears `ttlMs` after the last renewal. (Per-key TTL needs a newer server than the
 *   2.9 Debian ships; `max_age` is exact to the millisecond there.)
 * - A holder that cannot renew judges its own expiry: once `ttlMs` has passed since the last renewal it
 *   sent that the server accepted, it declares the hold lost before the server can hand the key to anyone
 *   else — and a store that checks fences refuses its commits in any case.
 */
import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { SuperstepError } from '../shared/errors.ts';
import { optionsObject } from '../shared/options.ts';
import { leaseBusy, leaseLost, type InstanceLease, type LeaseHold } from '../main/run/instance-lease.ts';
import {
  WRONG_LAST_SEQUENCE,
  checkConnectionOptions,
  connectNats,
  jetStreamErrorCode,
  loadKv,
  natsToken,
  type NatsConnectionOptions,
} from './nats-client.ts';

export interface NatsLeaseOptions extends NatsConnectionOptions {
  /** The KV bucket of leases, created if missing. Default `superstep_leases`. */
  readonly bucket?: string;
  /**
   * How long a hold lives without renewal, in ms: the bucket's `max_age`. Every lease on one bucket must use
   * the same value (an existing bucket keeps its own, and a different one is refused). Default 10000.
   */
  readonly ttlMs?: number;
  /** How often a hold is renewed. Default a third of `ttlMs`. */
  readonly renewEveryMs?: number;
  /** Written as the key's value, to say who holds it. Default `<hostname>:<pid>`. */
  readonly holder?: string;
}

interface Resolved {
  readonly bucket: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly holder: string;
}

const NEEDED_FOR = 'the NATS instance lease';

/**
 * A lease on named workflow instances in a NATS KV bucket. Connects on first use.
 *
 * @example
 * import { natsLease } from '@superstep/runtime/nats';
 * const lease = natsLease({ servers: 'nats://127.0.0.1:4222', ttlMs: 10_000 });
 * const workflow = await builder.build({ name: 'orders', store, lease });
 * // a second process building 'orders' with a lease on the same bucket gets WORKFLOW_BUSY from its runs
 */
export function natsLease(options: NatsLeaseOptions): InstanceLease {
  const resolved = resolveLeaseOptions(options);
  let opened: Promise<{ connection: NatsConnection; kv: KV }> | undefined;
  let closed = false;
  const holds = new Set<NatsHold>();
  const open = (): Promise<{ connection: NatsConnection; kv: KV }> =>
    (opened ??= openBucket(options, resolved).catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
  const lease: InstanceLease = {
    kind: 'nats',
    async acquire(instance) {
      if (closed) throw new SuperstepError('WORKFLOW_CLOSED', 'the NATS lease is closed');
      if (typeof instance !== 'string' || instance.length === 0) {
        throw new SuperstepError('INVALID_OPTION', 'instance must be a non-empty string', {
          details: { option: 'instance' },
        });
      }
      const { kv } = await open();
      const hold = await NatsHold.take(kv, instance, resolved);
      holds.add(hold);
      hold.onEnd = () => holds.delete(hold);
      return hold;
    },
    async close() {
      if (closed) return;
      closed = true;
      // A run still holding the instance must not go on believing it does: its hold is lost, then freed.
      await Promise.allSettled([...holds].map((hold) => hold.release('the lease was closed')));
      const current = opened;
      opened = undefined;
      if (current === undefined) return;
      const { connection } = await current.catch(() => ({ connection: undefined }));
      await connection?.close();
    },
    [Symbol.asyncDispose]: () => lease.close(),
  };
  return lease;
}

function resolveLeaseOptions(given: NatsLeaseOptions): Resolved {
  const options = optionsObject(given);
  checkConnectionOptions(options);
  const invalid = (option: string, must: string): SuperstepError =>
    new SuperstepError('INVALID_OPTION', `options.${option} must be ${must}`, {
      details: { option: `options.${option}` },
    });
  const { bucket = 'superstep_leases', ttlMs = 10_000, holder = `${hostname()}:${process.pid}` } = options;
  if (typeof bucket !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(bucket)) {
    throw invalid('bucket', '1–64 letters, digits, "_" or "-"');
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 100) throw invalid('ttlMs', 'an integer of at least 100');
  const renewEveryMs = options.renewEveryMs ?? Math.floor(ttlMs / 3);
  if (!Number.isSafeInteger(renewEveryMs) || renewEveryMs < 10 || renewEveryMs >= ttlMs) {
    throw invalid('renewEveryMs', 'an integer from 10 to less than options.ttlMs');
  }
  if (typeof holder !== 'string') throw invalid('holder', 'a string');
  return { bucket, ttlMs, renewEveryMs, holder };
}

async function openBucket(
  options: NatsLeaseOptions,
  resolved: Resolved,
): Promise<{ connection: NatsConnection; kv: KV }> {
  const { Kvm } = await loadKv(NEEDED_FOR);
  const connection = await connectNats(options, NEEDED_FOR);
  try {
    const kv = await new Kvm(connection).create(resolved.bucket, { ttl: resolved.ttlMs, history: 1 });
    // An existing bucket keeps the options it was made with: a lease must not believe in a TTL it lacks.
    const { ttl } = await kv.status();
    if (ttl !== resolved.ttlMs) {
      throw new SuperstepError(
        'INVALID_OPTION',
        `options.ttlMs is ${resolved.ttlMs} but the bucket "${resolved.bucket}" expires keys after ${ttl} ms`,
        { details: { option: 'options.ttlMs', bucket: resolved.bucket, bucketTtlMs: ttl } },
      );
    }
    return { connection, kv };
  } catch (error) {
    await connection.close().catch(() => undefined);
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError(
      'NATS_UNAVAILABLE',
      `${NEEDED_FOR} cannot open bucket "${resolved.bucket}": ${String(error)}`,
      {
        cause: error,
        details: { bucket: resolved.bucket },
      },
    );
  }
}

/** What a {@link NatsHold} starts from: the key it holds and the revision that made it (its fencing token). */
interface HoldInit {
  readonly kv: KV;
  readonly key: string;
  readonly instance: string;
  readonly token: number;
  readonly resolved: Resolved;
  readonly last: { readonly revision: number; readonly sentAt: number };
}

/** One hold on one key: renews itself until released or lost. */
class NatsHold implements LeaseHold {
  /** Called once when the hold ends (released or lost). */
  onEnd: () => void = () => undefined;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private renewing: Promise<void> = Promise.resolve();

  readonly instance: string;
  readonly token: number;
  private readonly kv: KV;
  private readonly key: string;
  private readonly resolved: Resolved;
  /** The last revision the server accepted from us, and when we sent the write that made it. */
  private last: { revision: number; sentAt: number };

  private constructor(init: HoldInit) {
    this.kv = init.kv;
    this.key = init.key;
    this.instance = init.instance;
    this.token = init.token;
    this.resolved = init.resolved;
    this.last = init.last;
  }

  static async take(kv: KV, instance: string, resolved: Resolved): Promise<NatsHold> {
    const key = natsToken(instance);
    const sentAt = Date.now();
    let revision: number;
    try {
      revision = await kv.create(key, resolved.holder);
    } catch (error) {
      if (jetStreamErrorCode(error) === WRONG_LAST_SEQUENCE) {
        const entry = await kv.get(key).catch(() => null);
        throw leaseBusy(instance, { holder: entry?.string(), token: entry?.revision });
      }
      throw new SuperstepError('NATS_UNAVAILABLE', `cannot reserve "${instance}" in NATS: ${String(error)}`, {
        cause: error,
        details: { instance },
      });
    }
    const hold = new NatsHold({ kv, key, instance, token: revision, resolved, last: { revision, sentAt } });
    hold.schedule();
    return hold;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Gives the instance up; with `lostBecause`, its holder is told first that the hold is lost. */
  async release(lostBecause?: string): Promise<void> {
    if (this.ended) return;
    if (lostBecause === undefined) this.end();
    else this.lose(lostBecause);
    await this.renewing;
    // Only our own revision is deleted: if someone took the key meanwhile, this fails and changes nothing.
    await this.kv.delete(this.key, { previousSeq: this.last.revision }).catch(() => undefined);
  }

  /** The next renewal: after `renewEveryMs`, or sooner if the hold's own deadline comes first. */
  private schedule(): void {
    const deadline = this.last.sentAt + this.resolved.ttlMs - Date.now();
    this.timer = setTimeout(
      () => {
        this.renewing = this.renew();
      },
      Math.max(0, Math.min(this.resolved.renewEveryMs, deadline)),
    );
    // A hold alone does not keep the process alive: the run that holds it does.
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.ended) return;
    // A paused process wakes up late: if the key may already have expired, the hold is gone.
    if (Date.now() - this.last.sentAt >= this.resolved.ttlMs) {
      this.lose(`not renewed for ${this.resolved.ttlMs} ms`);
      return;
    }
    const sentAt = Date.now();
    try {
      const revision = await this.kv.update(this.key, this.resolved.holder, this.last.revision);
      this.last = { revision, sentAt };
    } catch (error) {
      if (jetStreamErrorCode(error) === WRONG_LAST_SEQUENCE) {
        this.lose('another coordinator holds the instance now');
        return;
      }
      // NATS unreachable for now: keep trying until the TTL since the last accepted renewal runs out.
    }
    // release() may have ended the hold while the update was out.
    if (this.isLive()) this.schedule();
  }

  private isLive(): boolean {
    return !this.ended;
  }

  private lose(why: string): void {
    if (this.ended) return;
    this.end();
    this.controller.abort(leaseLost(this.instance, this.token, why));
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.onEnd();
  }
}
