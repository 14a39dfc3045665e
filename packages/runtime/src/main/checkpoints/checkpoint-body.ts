/**
 * The checkpoint body: the consistent cut at a barrier (guarantee 22), as msgpack bytes. Decoding checks
 * format version, graph signature and the whole shape before returning anything, so malformed bytes
 * fail with a typed error and nothing is half-applied (guarantees 25, 42).
 */
import { decode, encode, locateUnserializable } from '../../shared/codec.ts';
import { SuperstepError } from '../../shared/errors.ts';
import { isString, isTuple } from '../../shared/shape-guards.ts';
import type { Envelope, FanInBuffers } from '../superstep/router.ts';
import { CHECKPOINT_FORMAT_VERSION, READABLE_FORMAT_VERSIONS } from './checkpoint-store.ts';

/** A pending human request, as checkpointed (filled in by the human-in-the-loop feature). */
export interface PendingRequestRecord {
  readonly requestId: string;
  readonly executorId: string;
  readonly data: unknown;
  /** The superstep that made it. */
  readonly superstep: number;
}

/** What every level of an instance holds at a barrier besides its actors' states and its sub-workflows. */
export interface BarrierState {
  readonly superstep: number;
  readonly queue: readonly Envelope[];
  readonly fanIn: FanInBuffers;
  readonly shared: ReadonlyMap<string, unknown>;
  readonly requests: readonly PendingRequestRecord[];
}

/** The instance state a checkpoint captures, decoded. */
export interface CheckpointState extends BarrierState {
  /**
   * The format the body is in: {@link CHECKPOINT_FORMAT_VERSION} for every body this runtime writes; a
   * decoded one may be older (see {@link READABLE_FORMAT_VERSIONS}), and its blob keys are checked as that
   * format made them.
   */
  readonly formatVersion: number;
  /** Actor id → key of its snapshot blob (shared/blob-key.ts). Actors absent here are at their initial state. */
  readonly actors: ReadonlyMap<string, string>;
  /** Each sub-workflow node's full state (guarantee 44). */
  readonly children: ReadonlyMap<string, CheckpointState>;
}

/** The graph shape a body is checked against: its signature, and its sub-workflows' (guarantee 25). */
export interface SignatureTree {
  readonly signature: string;
  readonly subWorkflows: ReadonlyMap<string, SignatureTree>;
}

interface Body {
  formatVersion: number;
  signature: string;
  superstep: number;
  /** `[source, target, payload]`, and a fan-in's list message also its sources: `[…, sources]`. */
  queue: ([string, string, unknown] | [string, string, unknown, string[]])[];
  fanIn: [number, [string, unknown[]][]][];
  shared: [string, unknown][];
  /**
   * Format 2: the actor ids, and their blob keys concatenated in the same order (64 hex digits each: one
   * string instead of one per actor is a third of the cost of encoding a body of 64 actors, measured).
   * Format 1: `[actorId, sha256]` pairs.
   */
  actors: [ids: string[], keys: string] | [string, string][];
  requests: [string, string, unknown, number][];
  children: [string, Body][];
}

export function encodeCheckpointBody(state: CheckpointState, graph: SignatureTree): Uint8Array {
  return encode(toBody(state, graph));
}

function toBody(state: CheckpointState, graph: SignatureTree): Body {
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    signature: graph.signature,
    superstep: state.superstep,
    queue: state.queue.map((e) =>
      e.sources === undefined ? [e.source, e.target, e.payload] : [e.source, e.target, e.payload, [...e.sources]],
    ),
    fanIn: [...state.fanIn].map(([index, perSource]) => [index, [...perSource]]),
    shared: [...state.shared],
    actors: [[...state.actors.keys()], [...state.actors.values()].join('')],
    requests: state.requests.map((r) => [r.requestId, r.executorId, r.data, r.superstep]),
    children: [...state.children].map(([id, child]) => {
      const childGraph = graph.subWorkflows.get(id);
      if (childGraph === undefined) throw new SuperstepError('INTERNAL', `no sub-workflow "${id}" in the graph`);
      return [id, toBody(child, childGraph)];
    }),
  };
}

function corrupt(reason: string): SuperstepError {
  return new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint body is malformed: ${reason}`, { details: { reason } });
}

/**
 * A value the body carries for the instance (a message, shared state, a request's data), checked to be
 * one the runtime could have written: restoring it must not fail later, when the next superstep sends it.
 */
function carried(value: unknown, field: string): unknown {
  const found = locateUnserializable(value);
  if (found !== undefined) throw corrupt(`${field} holds ${found.reason} at ${found.path}`);
  return value;
}

function arrayOf<T>(value: unknown, field: string, check: (item: unknown) => T): T[] {
  if (!Array.isArray(value)) throw corrupt(`${field} is not a list`);
  return value.map((item, index) => {
    try {
      return check(item);
    } catch (error) {
      if (error instanceof SuperstepError) throw error;
      throw corrupt(`${field}[${index}]: ${String(error)}`);
    }
  });
}

function pair(item: unknown, field: string): [string, unknown] {
  if (!isTuple(item, 2) || !isString(item[0])) throw corrupt(`${field} entry is not [string, value]`);
  return [item[0], item[1]];
}

const KEY_DIGITS = 64;
const BLOB_KEY = /^[0-9a-f]{64}$/;

/** Format 2's actors: `[ids, keys]`, each id's 64-digit key at its place in `keys`. */
function packedActors(raw: unknown): Map<string, string> {
  if (!isTuple(raw, 2) || !isString(raw[1])) throw corrupt('actors is not [ids, keys]');
  const [rawIds, keys] = raw;
  const ids = arrayOf(rawIds, 'actor ids', (id): string => {
    if (!isString(id)) throw corrupt('an actor id is not a string');
    return id;
  });
  if (keys.length !== ids.length * KEY_DIGITS) throw corrupt(`${ids.length} actors but ${keys.length} key digits`);
  const actors = new Map<string, string>();
  ids.forEach((id, index) => {
    const key = keys.slice(index * KEY_DIGITS, (index + 1) * KEY_DIGITS);
    if (!BLOB_KEY.test(key)) throw corrupt(`actor ${id} has no snapshot key`);
    actors.set(id, key);
  });
  return actors;
}

/** Format 1's actors: `[actorId, sha256]` pairs. */
function actorPairs(raw: unknown): Map<string, string> {
  return new Map(
    arrayOf(raw, 'actors', (item): [string, string] => {
      const [id, hash] = pair(item, 'actors');
      if (!isString(hash) || !BLOB_KEY.test(hash)) throw corrupt(`actor ${id} has no snapshot key`);
      return [id, hash];
    }),
  );
}

/**
 * Decodes and validates a body. Checks, in order: bytes decode, format version, graph signature, shape.
 */
export function decodeCheckpointBody(bytes: Uint8Array, graph: SignatureTree): CheckpointState {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (error) {
    throw new SuperstepError('CHECKPOINT_CORRUPT', 'checkpoint body does not decode', {
      cause: error,
      details: { reason: 'decode' },
    });
  }
  return fromBody(raw, graph);
}

function fromBody(raw: unknown, graph: SignatureTree): CheckpointState {
  const expectedSignature = graph.signature;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt('not a record');
  const body = raw as Partial<Record<keyof Body, unknown>>;
  const formatVersion = body.formatVersion;
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion as number)) {
    throw new SuperstepError(
      'CHECKPOINT_VERSION_UNSUPPORTED',
      `checkpoint format version ${String(formatVersion)} is not supported (this runtime reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
      { details: { formatVersion, supported: [...READABLE_FORMAT_VERSIONS] } },
    );
  }
  if (body.signature !== expectedSignature) {
    throw new SuperstepError(
      'CHECKPOINT_SIGNATURE_MISMATCH',
      'the checkpoint was made by a workflow with a different graph',
      {
        details: { expected: expectedSignature, found: body.signature },
      },
    );
  }
  const superstep = body.superstep;
  if (typeof superstep !== 'number' || !Number.isInteger(superstep) || superstep < 0) throw corrupt('superstep');
  const queue = arrayOf(body.queue, 'queue', (item): Envelope => {
    const fanIn = isTuple(item, 4);
    if (!(fanIn || isTuple(item, 3)) || !isString(item[0]) || !isString(item[1])) throw corrupt('queue entry');
    const envelope = { source: item[0], target: item[1], payload: carried(item[2], 'a queued message') };
    if (!fanIn) return envelope;
    const sources = item[3];
    if (!Array.isArray(sources) || sources.length === 0 || !sources.every(isString)) throw corrupt('queue sources');
    return { ...envelope, sources };
  });
  const fanIn: FanInBuffers = new Map(
    arrayOf(body.fanIn, 'fanIn', (item): [number, Map<string, unknown[]>] => {
      if (!isTuple(item, 2) || !Number.isInteger(item[0])) throw corrupt('fanIn entry');
      const perSource = arrayOf(item[1], 'fanIn sources', (source) => {
        const [id, list] = pair(source, 'fanIn source');
        if (!Array.isArray(list)) throw corrupt('fanIn messages');
        return [id, list.map((message) => carried(message, 'a fan-in message'))] as [string, unknown[]];
      });
      return [item[0] as number, new Map(perSource)];
    }),
  );
  const shared = new Map(
    arrayOf(body.shared, 'shared', (item) => {
      const [key, value] = pair(item, 'shared');
      return [key, carried(value, `shared "${key}"`)] as const;
    }),
  );
  const actors = formatVersion === 1 ? actorPairs(body.actors) : packedActors(body.actors);
  const requests = arrayOf(body.requests, 'requests', (item): PendingRequestRecord => {
    if (!isTuple(item, 4) || !isString(item[0]) || !isString(item[1]) || !Number.isInteger(item[3])) {
      throw corrupt('request entry');
    }
    return {
      requestId: item[0],
      executorId: item[1],
      data: carried(item[2], 'a request'),
      superstep: item[3] as number,
    };
  });
  const children = new Map(
    arrayOf(body.children, 'children', (item): [string, CheckpointState] => {
      const [id, child] = pair(item, 'children');
      const childGraph = graph.subWorkflows.get(id);
      if (childGraph === undefined) throw corrupt(`unknown sub-workflow "${id}"`);
      return [id, fromBody(child, childGraph)];
    }),
  );
  if (children.size !== graph.subWorkflows.size) throw corrupt('sub-workflow states missing');
  return { formatVersion: formatVersion as number, superstep, queue, fanIn, shared, actors, requests, children };
}
