/**
 * An actor host process (`superstep-host`): runs a pool of worker threads, each of which connects to NATS
 * and serves the lanes coordinators place on it straight from its own subjects (worker/nats-thread.ts); the
 * main thread announces the host in the membership bucket with a heartbeat — it runs no user code, so a
 * host busy with CPU work keeps beating — and terminates a thread when a coordinator asks (a handler past
 * its timeout). Executor modules are imported only from the allow-list. Every NATS callback is wrapped.
 */
import { hostname } from 'node:os';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { createPoolWithTaskData } from '../main/hosts/actor-pool.ts';
import { decode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { invalidOption, optionsObject } from '../shared/options.ts';
import type { RemoteThreadConfig } from '../worker/nats-thread.ts';
import { DEFAULT_NATS_SERVER } from './connection.ts';
import { openMembershipBucket, type HostRecord } from './membership.ts';
import { HostThreads, threadServing } from './host-threads.ts';
import { moduleAllowList } from './module-allow-list.ts';
import { openNatsSession } from './nats-modules.ts';
import { Payloads } from './payloads.ts';
import { checkToken, DEFAULT_HOSTS_BUCKET, DEFAULT_PAYLOAD_BUCKET, killSubject } from './subjects.ts';

/** Options of {@link startHostProcess} (the `superstep-host` command's flags). */
export interface HostProcessOptions {
  /** Server URLs. Default `nats://127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /**
   * Passed to the official client in every thread: `user`/`pass`, `token`, `tls`, `name`, `pingInterval`…
   * Plain data only (each thread gets a copy): for a credentials file use `credsFile`.
   */
  readonly connection?: Omit<NodeConnectionOptions, 'servers' | 'authenticator'>;
  /** A NATS credentials file (JWT and nkey seed), read by each connection. */
  readonly credsFile?: string;
  /** Worker threads (the slots this host offers). Default 1. */
  readonly threads?: number;
  /** The host's id in the membership bucket. Default: `host-<pid>-<time>`. */
  readonly hostId?: string;
  /** The directory whose modules may be imported (a path or `file:` URL). */
  readonly root?: string | URL;
  /** Packages whose modules may be imported. */
  readonly packages?: readonly string[];
  /** Heartbeat interval in ms. Default 250. */
  readonly heartbeatMs?: number;
  readonly bucket?: string;
  readonly payloadBucket?: string;
}

/** A running host process. */
export interface HostProcess extends AsyncDisposable {
  readonly hostId: string;
  /** Settles when the host stops (closed, or its connection ended). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

interface Checked {
  readonly threads: number;
  readonly heartbeatMs: number;
  readonly hostId: string;
  readonly servers: readonly string[];
}

function checkOptions(options: HostProcessOptions): Checked {
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
  if ((options.connection as { authenticator?: unknown } | undefined)?.authenticator !== undefined) {
    throw invalidOption('options.connection.authenticator', 'absent (it cannot reach the threads): use credsFile');
  }
  const given = options.servers ?? DEFAULT_NATS_SERVER;
  const servers = typeof given === 'string' ? [given] : [...given];
  const hostId = checkToken(
    options.hostId ?? `host-${String(process.pid)}-${Date.now().toString(36)}`,
    'options.hostId',
  );
  return { threads, heartbeatMs, hostId, servers };
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
  const { threads, heartbeatMs, hostId, servers } = checkOptions(options);
  const allow = moduleAllowList(options.root, options.packages ?? []);
  const payloadBucket = checkToken(options.payloadBucket ?? DEFAULT_PAYLOAD_BUCKET, 'options.payloadBucket');
  const thread = (index: number): RemoteThreadConfig => ({
    servers,
    connection: options.connection ?? {},
    credsFile: options.credsFile,
    hostId,
    thread: index,
    allow,
    payloadBucket,
  });
  const session = await openNatsSession(
    { servers, connection: options.connection ?? {} },
    'the superstep-host process',
  );
  const { nc } = session;
  let pool;
  try {
    pool = await createPoolWithTaskData({ threads }, (index) => ({ remote: thread(index) }));
  } catch (error) {
    await nc.close();
    throw error;
  }
  const started = pool;
  const threadsWatch = new HostThreads(started, new Payloads(session, payloadBucket), hostId);
  await threadsWatch.start();
  nc.subscribe(killSubject(hostId), {
    callback: (error, msg) => {
      try {
        const { thread: index, reason } = (error === null ? decode(msg.data) : {}) as {
          thread?: unknown;
          reason?: unknown;
        };
        if (Number.isInteger(index) && (index as number) >= 0 && (index as number) < threads) {
          started.kill(index as number, `a coordinator asked: ${String(reason)}`);
        }
      } catch (thrown) {
        console.error('superstep-host: a kill request was not handled:', thrown);
      }
    },
  });
  await Promise.all(Array.from({ length: threads }, (_, index) => threadServing(nc, hostId, index)));
  const kv = await openMembershipBucket(session, checkToken(options.bucket ?? DEFAULT_HOSTS_BUCKET, 'options.bucket'));
  const record: HostRecord = {
    formatVersion: 1,
    hostId,
    threads,
    heartbeatMs,
    label: `${hostname()} pid ${String(process.pid)}`,
  };
  const beat = (): Promise<unknown> => kv.put(hostId, JSON.stringify(record));
  await beat();
  const timer = setInterval(() => {
    beat().catch((error: unknown) => {
      console.error('superstep-host: heartbeat not written:', error);
    });
  }, heartbeatMs);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(timer);
      threadsWatch.close();
      await kv.delete(hostId).catch(() => undefined);
      await nc.drain().catch(() => undefined);
      await started.close();
    })());
  const closed = nc.closed().then(async () => {
    await close();
  });
  return { hostId, closed, close, [Symbol.asyncDispose]: close };
}
