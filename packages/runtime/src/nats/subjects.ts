/**
 * The names things have on NATS: the membership bucket, the payload store, the subjects a coordinator and
 * a host talk on, and the names instances have on a host. Each worker thread of a host listens on its own
 * subjects, `superstep.host.<hostId>.t<thread>.step` and `.control`, so a batch goes from the coordinator to
 * the thread that runs it with no hop in between. Each slot of a coordinator's host set placed on a host is
 * a **lane**, `<session>.<slot>.<generation>`; the coordinator prefixes its instance names with the lane,
 * so two coordinators, or two slots of one on the same thread, never share an actor, and a reply or event
 * of a replaced lane is recognised as stale. Ids are checked to be single subject tokens.
 */
import { SuperstepError } from '../shared/errors.ts';

/** The KV bucket hosts announce themselves in (one key per host, refreshed by its heartbeat). */
export const DEFAULT_HOSTS_BUCKET = 'superstep_hosts';
/** The object store that carries payloads above the server's `max_payload`. */
export const DEFAULT_PAYLOAD_BUCKET = 'superstep_payloads';

const PREFIX = 'superstep';
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const ALIAS = /^([A-Za-z0-9_-]{1,64})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8}):/;

/** One slot of one coordinator's host set, placed on a host. */
export interface Lane {
  /** The coordinator's host set (random per `connectHosts()`). */
  readonly session: string;
  readonly slot: number;
  /** Counts the placements of this slot: a slot moved to another host, or killed, gets a new lane. */
  readonly generation: number;
}

/** True if `value` can be one token of a subject (and a KV key). */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** Checks a host id or bucket name given from outside. */
export function checkToken(value: unknown, option: string): string {
  if (!isToken(value)) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be 1–64 characters of [A-Za-z0-9_-]`, {
      details: { option },
    });
  }
  return value;
}

/** Where a coordinator sends batches (`step`) and control calls (`control`) for thread `thread` of a host. */
export function threadSubject(hostId: string, thread: number, kind: 'step' | 'control'): string {
  return `${PREFIX}.host.${hostId}.t${String(thread)}.${kind}`;
}

/** Where a coordinator asks a host to terminate one of its threads (a handler past its timeout). */
export function killSubject(hostId: string): string {
  return `${PREFIX}.host.${hostId}.kill`;
}

/** Where a host says one of its threads died (every lane on it is gone): `{ thread, threadId }`. */
export function threadLostSubject(hostId: string): string {
  return `${PREFIX}.host.${hostId}.lost`;
}

/** What coordinators listen to for {@link threadLostSubject} of every host. */
export const THREAD_LOST_WILDCARD = `${PREFIX}.host.*.lost`;

/** The host id in a {@link threadLostSubject}, or `undefined`. */
export function hostOfThreadLost(subject: string): string | undefined {
  const tokens = subject.split('.');
  return tokens.length === 4 && tokens[3] === 'lost' && isToken(tokens[2]) ? tokens[2] : undefined;
}

/**
 * The in-process channel a host's threads hand their streamed messages (events, timer notices) to its
 * main thread on: a thread spinning in a handler cannot publish itself, but a message posted before the
 * handler started still arrives.
 */
export function streamChannelName(hostId: string): string {
  return `superstep-host-stream:${hostId}`;
}

/** Where a coordinator says its session ended: every thread drops the session's instances. */
export function byeSubject(hostId: string): string {
  return `${PREFIX}.host.${hostId}.bye`;
}

/** Where hosts stream a session's events and timer notices while supersteps run. */
export function streamSubject(session: string): string {
  return `${PREFIX}.session.${session}.stream`;
}

/** The lane's key: the prefix of its instance names on the host. */
function laneKey(lane: Lane): string {
  return `${lane.session}.${String(lane.slot)}.${String(lane.generation)}`;
}

/** The name `instance` has on the host that serves `lane`. */
export function aliasOf(lane: Lane, instance: string): string {
  return `${laneKey(lane)}:${instance}`;
}

/** The lane and instance an alias names, or `undefined` if it is not one. */
export function parseAlias(alias: unknown): (Lane & { readonly instance: string }) | undefined {
  if (typeof alias !== 'string') return undefined;
  const match = ALIAS.exec(alias);
  if (match === null) return undefined;
  return {
    session: match[1] ?? '',
    slot: Number(match[2]),
    generation: Number(match[3]),
    instance: alias.slice(match[0].length),
  };
}
