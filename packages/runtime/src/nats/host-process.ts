/**
 * An actor host process (`superstep-host`): connects to NATS, runs a local pool of worker threads,
 * announces itself in the membership bucket with a heartbeat, and serves the lanes coordinators place on
 * it. It imports executor modules only from its allow-list. Every subscription handler is wrapped: a
 * throw inside a NATS callback would silently stop this connection's reader for good.
 */
import { hostname } from 'node:os';
import type { Msg } from '@nats-io/transport-node';
import { createPool, type ActorPool } from '../main/hosts/actor-pool.ts';
import { SuperstepError } from '../shared/errors.ts';
import { invalidOption, optionsObject } from '../shared/options.ts';
import type { NatsConnectionOptions } from './connection.ts';
import { HostLane, type LaneHost } from './host-lane.ts';
import { openMembershipBucket, type HostRecord } from './membership.ts';
import { moduleAllowList } from './module-allow-list.ts';
import { openNatsSession, type NatsSession } from './nats-modules.ts';
import { Payloads } from './payloads.ts';
import {
  checkToken,
  DEFAULT_HOSTS_BUCKET,
  DEFAULT_PAYLOAD_BUCKET,
  hostWildcard,
  laneKey,
  parseHostSubject,
  type HostAddress,
} from './subjects.ts';

/** Options of {@link startHostProcess} (the `superstep-host` command's flags). */
export interface HostProcessOptions extends NatsConnectionOptions {
  /** Worker threads (the slots this host offers). Default 1. */
  readonly threads?: number;
  /** The host's id in the membership bucket. Default: `host-<random>`. */
  readonly hostId?: string;
  /** The directory whose modules may be imported (a path or `file:` URL). */
  readonly root?: string | URL;
  /** Packages whose modules may be imported. */
  readonly packages?: readonly string[];
  /** Heartbeat interval in ms. Default 250. */
  readonly heartbeatMs?: number;
  readonly bucket?: string;
  readonly payloadBucket?: string;
  /** Where failures with nobody to answer go. Default: `console.error`. */
  readonly log?: (message: string, error: unknown) => void;
}

/** A running host process. */
export interface HostProcess extends AsyncDisposable {
  readonly hostId: string;
  /** Settles when the host stops (closed, or its connection ended). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

function checkOptions(options: HostProcessOptions): { threads: number; heartbeatMs: number } {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw invalidOption('options.threads', 'an integer from 1 to 1024', threads);
  }
  const heartbeatMs = options.heartbeatMs ?? 250;
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10) {
    throw invalidOption('options.heartbeatMs', 'an integer ≥ 10', heartbeatMs);
  }
  if (options.root === undefined && (options.packages ?? []).length === 0) {
    throw new SuperstepError('INVALID_OPTION', 'a host needs an allow-list: a root directory, packages, or both', {
      details: { option: 'root' },
    });
  }
  return { threads, heartbeatMs };
}

/** The lanes of one host process, by key. */
class Lanes implements LaneHost {
  private readonly lanes = new Map<string, HostLane>();
  readonly threads: number;

  constructor(
    private readonly pool: ActorPool,
    readonly payloads: Payloads,
    readonly allow: LaneHost['allow'],
    readonly log: LaneHost['log'],
  ) {
    this.threads = pool.size;
    // A thread that died took every lane on it: each answers WORKER_LOST from now on, and its coordinator
    // moves the slot to a new lane (reloaded from its last barrier).
    pool.onRestart((index, reason) => {
      for (const lane of this.lanes.values()) {
        if (lane.thread === index)
          lane.broken ??= new SuperstepError('WORKER_LOST', `thread ${String(index)} died: ${reason}`);
      }
    });
  }

  thread(index: number): ReturnType<ActorPool['host']> {
    return this.pool.host(index);
  }

  route(address: HostAddress, msg: Msg): void {
    if (address.kind === 'bye') {
      for (const [key, lane] of this.lanes) {
        if (lane.lane.session !== address.session) continue;
        this.lanes.delete(key);
        void lane.close();
      }
      return;
    }
    const key = laneKey(address.lane);
    let lane = this.lanes.get(key);
    if (address.kind === 'kill') {
      if (lane === undefined) return;
      lane.broken ??= new SuperstepError('WORKER_LOST', 'killed by its coordinator');
      this.pool.kill(lane.thread, `lane ${key} killed by its coordinator`);
      this.lanes.delete(key);
      return;
    }
    if (lane === undefined) this.lanes.set(key, (lane = new HostLane(address.lane, this)));
    lane.take(address.kind, msg);
  }
}

/**
 * Starts a host process in this process: the `superstep-host` command calls it; tests and embedders may too.
 *
 * @example
 * await using host = await startHostProcess({ servers: 'nats://127.0.0.1:4222', threads: 2, root: '/srv/app' });
 * await host.closed;
 */
export async function startHostProcess(given: HostProcessOptions): Promise<HostProcess> {
  const options = optionsObject(given);
  const { threads, heartbeatMs } = checkOptions(options);
  const allow = moduleAllowList(options.root, options.packages ?? []);
  const hostId = checkToken(
    options.hostId ?? `host-${String(process.pid)}-${Date.now().toString(36)}`,
    'options.hostId',
  );
  const log =
    options.log ??
    ((message: string, error: unknown) => {
      console.error(`superstep-host: ${message}:`, error);
    });
  const pool = await createPool({ threads });
  let session: NatsSession;
  try {
    session = await openNatsSession(options, 'the superstep-host process');
  } catch (error) {
    await pool.close();
    throw error;
  }
  const { nc } = session;
  const payloads = new Payloads(
    session,
    checkToken(options.payloadBucket ?? DEFAULT_PAYLOAD_BUCKET, 'options.payloadBucket'),
  );
  const lanes = new Lanes(pool, payloads, allow, log);
  nc.subscribe(hostWildcard(hostId), {
    callback: (error, msg) => {
      try {
        if (error !== null) throw error;
        const address = parseHostSubject(msg.subject, hostId);
        if (address !== undefined) lanes.route(address, msg);
      } catch (thrown) {
        log(`message on ${msg.subject} not handled`, thrown);
      }
    },
  });
  const kv = await openMembershipBucket(session, checkToken(options.bucket ?? DEFAULT_HOSTS_BUCKET, 'options.bucket'));
  const record: HostRecord = {
    formatVersion: 1,
    hostId,
    threads,
    heartbeatMs,
    label: `${hostname()} pid ${String(process.pid)}`,
  };
  const beat = (): Promise<unknown> => kv.put(hostId, JSON.stringify(record));
  await nc.flush();
  await beat();
  const timer = setInterval(() => {
    beat().catch((error: unknown) => {
      log('heartbeat not written', error);
    });
  }, heartbeatMs);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(timer);
      await kv.delete(hostId).catch(() => undefined);
      await nc.drain().catch(() => undefined);
      await pool.close();
    })());
  const closed = nc.closed().then(async () => {
    await close();
  });
  return { hostId, closed, close, [Symbol.asyncDispose]: close };
}
