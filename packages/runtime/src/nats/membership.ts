/**
 * Host membership in a KV bucket. A host puts its record under its id when it starts and again at every
 * heartbeat, and deletes it when it stops. Per-key TTL is not available on every server (NATS < 2.11
 * ignores it) and a watch reports nothing when a key expires, so expiry is decided here: a host is alive
 * while its last heartbeat, as this process saw it arrive, is younger than `lostAfterMs`. The bucket's own
 * `max_age` only clears records nobody will ever refresh.
 */
import type { KV } from '@nats-io/kv';
import { SuperstepError } from '../shared/errors.ts';
import type { NatsSession } from './nats-modules.ts';
import { isToken } from './subjects.ts';

/** What a host announces. Persisted as JSON, so it carries its own format version. */
export interface HostRecord {
  readonly formatVersion: 1;
  readonly hostId: string;
  /** Worker threads the host runs: the slots it offers. */
  readonly threads: number;
  readonly heartbeatMs: number;
  /** Free text for people (machine, pid). */
  readonly label: string;
}

/** How long a record nobody refreshes stays in the bucket. */
const BUCKET_MAX_AGE_MS = 60_000;

/** Opens (creating if absent) the membership bucket. */
export async function openMembershipBucket(session: NatsSession, bucket: string): Promise<KV> {
  return await new session.modules.kv.Kvm(session.nc).create(bucket, { history: 1, ttl: BUCKET_MAX_AGE_MS });
}

/** A record read from the bucket, or `undefined` if it is not one (anything may write there). */
function parseHostRecord(bytes: Uint8Array): HostRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const record = value as Partial<HostRecord> | null | undefined;
  if (
    record?.formatVersion !== 1 ||
    !isToken(record.hostId) ||
    !Number.isInteger(record.threads) ||
    (record.threads ?? 0) < 1 ||
    (record.threads ?? 0) > 1024 ||
    typeof record.heartbeatMs !== 'number' ||
    typeof record.label !== 'string'
  ) {
    return undefined;
  }
  return record as HostRecord;
}

interface Seen {
  readonly record: HostRecord;
  seenAt: number;
}

/** The coordinator's view of the hosts: who is alive, and who was declared lost (never used again). */
export class Membership {
  private readonly seen = new Map<string, Seen>();
  /** Hosts declared lost: a host that comes back (a paused process resumed) is not trusted again. */
  private readonly lost = new Set<string>();
  private stopWatch: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new Set<() => void>();

  constructor(
    private readonly lostAfterMs: number,
    private readonly onLost: (hostId: string, reason: string) => void,
  ) {}

  /**
   * Reads the current records (a record older than `lostAfterMs` by the server's clock is a dead host's
   * leftover and is skipped), then follows updates.
   */
  async follow(kv: KV): Promise<void> {
    const watch = await kv.watch({ include: 'updates' });
    this.stopWatch = () => {
      watch.stop();
    };
    void (async () => {
      for await (const entry of watch) this.take(entry.key, entry.operation === 'PUT' ? entry.value : undefined);
    })().catch(() => undefined);
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      const age = entry === null ? Infinity : Date.now() - entry.created.getTime();
      if (entry !== null && entry.operation === 'PUT' && age < this.lostAfterMs && !this.seen.has(key)) {
        this.take(key, entry.value, Date.now() - Math.max(0, age));
      }
    }
    this.timer = setInterval(
      () => {
        this.expire();
      },
      Math.max(50, Math.floor(this.lostAfterMs / 4)),
    );
  }

  private take(key: string, value: Uint8Array | undefined, seenAt = Date.now()): void {
    if (this.lost.has(key)) return;
    if (value === undefined) {
      if (this.seen.delete(key)) this.declareLost(key, 'the host left (its membership record was deleted)');
      return;
    }
    const record = parseHostRecord(value);
    if (record?.hostId !== key) return;
    const seen = this.seen.get(key);
    if (seen === undefined) this.seen.set(key, { record, seenAt });
    else seen.seenAt = Math.max(seen.seenAt, seenAt);
    for (const listener of this.changed) listener();
  }

  private expire(): void {
    const now = Date.now();
    for (const [hostId, seen] of this.seen) {
      if (now - seen.seenAt > this.lostAfterMs) {
        this.seen.delete(hostId);
        this.declareLost(hostId, `no heartbeat for ${String(now - seen.seenAt)} ms`);
      }
    }
  }

  /** Marks `hostId` lost for good and tells the set. */
  declareLost(hostId: string, reason: string): void {
    if (this.lost.has(hostId)) return;
    this.lost.add(hostId);
    this.seen.delete(hostId);
    this.onLost(hostId, reason);
  }

  isAlive(hostId: string): boolean {
    return this.seen.has(hostId) && !this.lost.has(hostId);
  }

  /** The live hosts, by id. */
  alive(): HostRecord[] {
    return [...this.seen.values()].map((seen) => seen.record).sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  /** Resolves once at least `count` hosts are alive; `POOL_START_FAILED` after `timeoutMs`. */
  async waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.alive().length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.alive().length < count) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new SuperstepError(
            'POOL_START_FAILED',
            `${String(this.alive().length)} of ${String(count)} actor hosts announced themselves within ${String(timeoutMs)} ms`,
            { details: { alive: this.alive().length, wanted: count } },
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.changed.delete(check);
      };
      this.changed.add(check);
    });
  }

  stop(): void {
    this.stopWatch?.();
    clearInterval(this.timer);
    this.changed.clear();
  }
}
