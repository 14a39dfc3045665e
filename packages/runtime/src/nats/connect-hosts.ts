/**
 * `connectHosts()`: the coordinator's side of running actors on `superstep-host` processes over NATS.
 */
import { pathToFileURL } from 'node:url';
import { SuperstepError } from '../shared/errors.ts';
import { invalidOption, optionsObject } from '../shared/options.ts';
import type { NatsConnectionOptions } from './connection.ts';
import { openMembershipBucket, Membership } from './membership.ts';
import { NatsHostSet } from './nats-host-set.ts';
import { openNatsSession } from './nats-modules.ts';
import { Payloads } from './payloads.ts';
import { checkToken, DEFAULT_HOSTS_BUCKET, DEFAULT_PAYLOAD_BUCKET } from './subjects.ts';

/** Options of {@link connectHosts}. */
export interface ConnectHostsOptions extends NatsConnectionOptions {
  /**
   * The directory executor modules are named relative to, shared by every host (each started with the
   * same tree as its `--root`): a `file:` URL or a path. An executor module under it travels as its path
   * relative to the root; one outside it is refused (`INVALID_EXECUTOR_REF`). Package names travel as they are.
   */
  readonly moduleRoot?: string | URL;
  /** Wait until this many hosts are alive. Default 1. */
  readonly minHosts?: number;
  /** How long to wait for them, in ms (then `POOL_START_FAILED`). Default 10,000. */
  readonly waitMs?: number;
  /** Slots (actor hosts as the coordinator sees them). Default: every thread the live hosts offer. */
  readonly slots?: number;
  /** A host with no heartbeat for this long is lost. Default 2,000 ms. */
  readonly lostAfterMs?: number;
  /** A batch with no reply for this long loses its host. Default 300,000 ms: raise it for longer supersteps. */
  readonly stepTimeoutMs?: number;
  /** A control call (load, commit, ping…) with no reply for this long loses its host. Default 30,000 ms. */
  readonly controlTimeoutMs?: number;
  /** The membership KV bucket. Default `superstep_hosts`. */
  readonly bucket?: string;
  /** The object store for payloads above the server's `max_payload`. Default `superstep_payloads`. */
  readonly payloadBucket?: string;
}

function positive(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidOption(`options.${option}`, 'a positive integer', value);
  }
  return value;
}

function rootUrl(root: string | URL | undefined): string | undefined {
  if (root === undefined) return undefined;
  if (root instanceof URL) return root.href;
  if (typeof root !== 'string' || root === '') throw invalidOption('options.moduleRoot', 'a file: URL or a path', root);
  return root.startsWith('file:') ? root : pathToFileURL(root).href;
}

/**
 * Connects to NATS and to the `superstep-host` processes announced there, and returns them as a host set
 * to pass as a workflow's `pool`. Close it (or `await using`) when done: it tells the hosts to drop this
 * coordinator's actors.
 *
 * @example
 * import { connectHosts } from '@superstep/runtime/nats';
 * await using hosts = await connectHosts({ servers: 'nats://127.0.0.1:4222', moduleRoot: new URL('./', import.meta.url), minHosts: 2 });
 * await using workflow = await builder.build({ pool: hosts });
 * console.log(hosts.usage());
 */
export async function connectHosts(given: ConnectHostsOptions = {}): Promise<NatsHostSet> {
  const options = optionsObject(given);
  const minHosts = positive(options.minHosts, 'minHosts', 1);
  const waitMs = positive(options.waitMs, 'waitMs', 10_000);
  const lostAfterMs = positive(options.lostAfterMs, 'lostAfterMs', 2_000);
  const stepTimeoutMs = positive(options.stepTimeoutMs, 'stepTimeoutMs', 300_000);
  const controlTimeoutMs = positive(options.controlTimeoutMs, 'controlTimeoutMs', 30_000);
  const slots = options.slots === undefined ? undefined : positive(options.slots, 'slots', 1);
  const bucket = checkToken(options.bucket ?? DEFAULT_HOSTS_BUCKET, 'options.bucket');
  const payloadBucket = checkToken(options.payloadBucket ?? DEFAULT_PAYLOAD_BUCKET, 'options.payloadBucket');
  const moduleRoot = rootUrl(options.moduleRoot);
  let session;
  try {
    session = await openNatsSession(options, 'the NATS host set');
  } catch (error) {
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError('POOL_START_FAILED', `cannot connect to NATS: ${String(error)}`, { cause: error });
  }
  let set: NatsHostSet | undefined;
  const membership = new Membership(lostAfterMs, (hostId, reason) => {
    set?.hostLost(hostId, reason);
  });
  try {
    await membership.follow(await openMembershipBucket(session, bucket));
    await membership.waitFor(minHosts, waitMs);
    set = new NatsHostSet({
      session,
      sessionId: `s${session.modules.client.nuid.next()}`,
      payloads: new Payloads(session, payloadBucket),
      membership,
      stepTimeoutMs,
      controlTimeoutMs,
      ownsConnection: true,
      moduleRoot,
    });
    const started = set;
    started.start(slots ?? membership.alive().reduce((sum, host) => sum + host.threads, 0));
    await Promise.all(Array.from({ length: started.size }, (_, index) => started.host(index).control.ping()));
    return started;
  } catch (error) {
    membership.stop();
    await (set?.close() ?? session.nc.close());
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError('POOL_START_FAILED', `actor hosts did not answer: ${String(error)}`, { cause: error });
  }
}
