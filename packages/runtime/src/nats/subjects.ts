/**
 * The names things have on NATS: the membership bucket, the payload store, and the subjects a coordinator
 * and a host talk on. A host listens on `superstep.host.<hostId>.>`; each slot of a coordinator's host set
 * that is placed on it is a **lane** there, `<session>.<slot>.<generation>`, and the last token says what
 * the message is. Ids are checked to be single subject tokens, so nothing from outside can address a
 * subject it was not given.
 */
import { SuperstepError } from '../shared/errors.ts';

/** The KV bucket hosts announce themselves in (one key per host, refreshed by its heartbeat). */
export const DEFAULT_HOSTS_BUCKET = 'superstep_hosts';
/** The object store that carries payloads above the server's `max_payload`. */
export const DEFAULT_PAYLOAD_BUCKET = 'superstep_payloads';

const PREFIX = 'superstep';
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const NUMBER = /^(?:0|[1-9][0-9]{0,8})$/;

/** One slot of one coordinator's host set, placed on a host: its batches and calls go to this lane. */
export interface Lane {
  /** The coordinator's host set (random per `connectHosts()`). */
  readonly session: string;
  readonly slot: number;
  /** Counts the placements of this slot: a slot moved to another host, or killed, gets a new lane. */
  readonly generation: number;
}

/** What a message to a lane asks for. */
export type LaneKind = 'step' | 'control' | 'kill';

/** True if `value` can be one token of a subject (and a KV key). */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** Checks a host id or session id given from outside. */
export function checkToken(value: unknown, option: string): string {
  if (!isToken(value)) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be 1–64 characters of [A-Za-z0-9_-]`, {
      details: { option },
    });
  }
  return value;
}

/** Everything a host listens to. */
export function hostWildcard(hostId: string): string {
  return `${PREFIX}.host.${hostId}.>`;
}

/** Where a coordinator sends `kind` for `lane` on `hostId`. */
export function laneSubject(hostId: string, lane: Lane, kind: LaneKind): string {
  return `${PREFIX}.host.${hostId}.${lane.session}.${String(lane.slot)}.${String(lane.generation)}.${kind}`;
}

/** Where a coordinator says its session ended: the host drops every lane of it. */
export function byeSubject(hostId: string, session: string): string {
  return `${PREFIX}.host.${hostId}.${session}.bye`;
}

/** Where hosts stream a session's events and timer notices while supersteps run. */
export function streamSubject(session: string): string {
  return `${PREFIX}.session.${session}.stream`;
}

/** What a subject under {@link hostWildcard} addresses, or `undefined` for anything malformed. */
export type HostAddress =
  { readonly kind: LaneKind; readonly lane: Lane } | { readonly kind: 'bye'; readonly session: string };

export function parseHostSubject(subject: string, hostId: string): HostAddress | undefined {
  const head = `${PREFIX}.host.${hostId}.`;
  if (!subject.startsWith(head)) return undefined;
  const tokens = subject.slice(head.length).split('.');
  const [session, second, generation, kind] = tokens;
  if (!isToken(session)) return undefined;
  if (tokens.length === 2 && second === 'bye') return { kind: 'bye', session };
  if (tokens.length !== 4 || (kind !== 'step' && kind !== 'control' && kind !== 'kill')) return undefined;
  if (!NUMBER.test(second ?? '') || !NUMBER.test(generation ?? '')) return undefined;
  return { kind, lane: { session, slot: Number(second), generation: Number(generation) } };
}

/** The lane's key in maps, and the prefix of the instance names it uses on the host. */
export function laneKey(lane: Lane): string {
  return `${lane.session}.${String(lane.slot)}.${String(lane.generation)}`;
}
