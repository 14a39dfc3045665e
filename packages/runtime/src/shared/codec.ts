/**
 * The data plane's codec: the only module that touches msgpackr.
 *
 * Why the extra checks: msgpackr silently turns a function into `undefined` and a class instance into a
 * plain object, and recurses forever on a cycle. A workflow must fail loudly instead (guarantee 41), so every
 * value an executor produces passes {@link findUnserializable} at the point it is produced.
 */
import { Packr } from 'msgpackr';
import { SuperstepError } from './errors.ts';

// `moreTypes`: without it msgpackr corrupts non-Uint8 typed arrays. Records: repeated object shapes in
// one buffer are written once. `structuredClone: false`: we never write msgpackr's reference extensions,
// and refusing them on read means no bytes decode into a cycle or a shared reference (the walk below would
// refuse a cycle, but a few bytes of shared references can name a graph far too large to walk).
const OPTIONS = { moreTypes: true, useRecords: true, structuredClone: false } as const;

/**
 * The shapes of the two messages every superstep carries, a host's batch and its reply, in the order
 * their objects are built (`LinkBatches.next`, `stepReply`). Every side of the data plane knows them, so
 * {@link encodeMessage} writes each as a one-byte record id instead of defining its record in every
 * message: a 140-byte batch becomes 40 bytes, and encoding and decoding one cost a third of what they did
 * (docs/design.md#message-shapes). An object built in another order still encodes, as a record of its own.
 * Part of the wire protocol: hosts in other processes must run the same version.
 */
export const MESSAGE_SHAPES: readonly (readonly string[])[] = [
  [
    'op',
    'instance',
    'run',
    'superstep',
    'seq',
    'shared',
    'deliveries',
    'continuation',
    'keySnapshots',
    'timed',
    'commitPrepared',
  ],
  [
    'op',
    'instance',
    'superstep',
    'seq',
    'outbox',
    'outputs',
    'events',
    'sharedWrites',
    'snapshots',
    'requests',
    'failure',
    'threadId',
    'timings',
  ],
];

/**
 * The known shapes as msgpackr's shared structures. Given through `getStructures`, so msgpackr marks them
 * shared: a buffer that defines a record of its own under the same id (any {@link encode}d buffer does)
 * replaces it only while that buffer is read, and a later message reads the known shape again.
 */
const KNOWN_SHAPES = {
  getStructures: () => MESSAGE_SHAPES.map((keys) => [...keys]),
  maxSharedStructures: MESSAGE_SHAPES.length,
};

/** Writes self-contained buffers: checkpoint bodies, snapshots, anything a store or another version may read. */
const packr = new Packr(OPTIONS);
/** Writes batches and replies with the known shapes. */
const messagePackr = new Packr({ ...OPTIONS, ...KNOWN_SHAPES });
/** Reads both kinds of buffer (the known shapes are only ever referred to by message buffers). */
const reader = new Packr({ ...OPTIONS, ...KNOWN_SHAPES });

/**
 * How deep a value may nest: containers (objects, arrays, Maps, Sets, an Error's cause) within containers.
 * One limit for both directions: a value nested deeper is refused when an executor produces it
 * (`SERIALIZATION_FAILED`) and when it is restored from checkpoint bytes (`CHECKPOINT_CORRUPT`). Far above
 * what data needs, far below where msgpackr's recursion runs out of stack (about a thousand levels).
 */
export const MAX_DEPTH = 128;

/**
 * Encodes a value into bytes that own their buffer, so the caller may transfer `bytes.buffer`.
 * (`pack()` returns a view into a shared 8 KB scratch buffer; transferring that would detach it.)
 */
export function encode(value: unknown): Uint8Array {
  return owned(packr.pack(value));
}

/**
 * Encodes a message between the coordinator and a host (a `StepBatch` or `StepReply` above all)
 * with the {@link MESSAGE_SHAPES} every side knows; {@link decode} reads it. Not for bytes a store keeps.
 */
export function encodeMessage(value: unknown): Uint8Array {
  return owned(messagePackr.pack(value));
}

function owned(view: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(view.byteLength);
  bytes.set(view);
  return bytes;
}

/** Decodes bytes made by {@link encode} or {@link encodeMessage}; malformed or truncated bytes raise `DECODE_FAILED`. */
export function decode(bytes: Uint8Array): unknown {
  try {
    return reader.unpack(bytes);
  } catch (error) {
    throw new SuperstepError('DECODE_FAILED', `cannot decode ${bytes.byteLength} bytes: ${String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Decodes bytes this runtime may not have made (a checkpoint store's) into a value the runtime could
 * have written: anything {@link findUnserializable} refuses — a function, a class instance, something
 * nested deeper than {@link MAX_DEPTH} — is `DECODE_FAILED` too, naming the path. (msgpackr's Error
 * extension, for one, decodes some names into objects no executor could send.)
 */
export function decodeUntrusted(bytes: Uint8Array): unknown {
  const value = decode(bytes);
  const found = locateUnserializable(value);
  if (found !== undefined) {
    throw new SuperstepError('DECODE_FAILED', `${bytes.byteLength} bytes decode to ${found.reason} at ${found.path}`, {
      details: { path: found.path, reason: found.reason },
    });
  }
  return value;
}

/** `String.prototype.isWellFormed` (ES2024, in Node 20), typed here because the ES2023 lib lacks it. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

const PLAIN_PROTOTYPES = new Set<unknown>([Object.prototype, null]);
const LEAF_CLASSES: readonly (abstract new (...args: never[]) => unknown)[] = [Date, RegExp, ArrayBuffer];

/** Where a value cannot be carried, and why. */
export interface Unserializable {
  /** `$`-rooted path: `$.items[2].callback`, `$<set 0>`, `$.get(key)`. */
  readonly path: string;
  /** `a function`, `a symbol`, `an instance of class Foo`, `a cycle`. */
  readonly reason: string;
}

/**
 * Returns the path of the first part of `value` the codec cannot carry faithfully, with the reason,
 * as one line (`$.callback (a function)`), or `undefined` when all of it can. Accepted: primitives
 * (not symbols), plain objects, arrays, Map, Set, Date, RegExp, Error, ArrayBuffer and typed arrays,
 * nested at most {@link MAX_DEPTH} deep. Rejected: functions, symbols, class instances, cycles, deeper
 * nesting.
 */
export function findUnserializable(value: unknown, path = '$'): string | undefined {
  const found = locateUnserializable(value, path);
  return found === undefined ? undefined : `${found.path} (${found.reason})`;
}

/** Like {@link findUnserializable}, with path and reason apart. */
export function locateUnserializable(value: unknown, path = '$'): Unserializable | undefined {
  // Every message passes here: a check that allocates nothing runs first, and the walk that builds
  // paths only when it finds something (or nests too deep to be sure there is no cycle).
  return carriable(value, 0) ? undefined : walk(value, path, []);
}

/** True if the codec surely carries `value`; false if it cannot, or if only the full walk can tell. */
function carriable(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return true;
    case 'string':
      return isWellFormed(value);
    case 'function':
    case 'symbol':
      return false;
    case 'object':
      break;
  }
  if (value === null) return true;
  if (depth > 32) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const key in value) {
      if (key === '__proto__' || !isWellFormed(key)) return false;
      if (!carriable((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  }
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (!carriable(item, depth + 1)) return false;
    return true;
  }
  return ArrayBuffer.isView(value) || value instanceof Date || value instanceof ArrayBuffer;
}

function walk(value: unknown, path: string, ancestors: object[]): Unserializable | undefined {
  switch (typeof value) {
    case 'string':
      // A lone surrogate (a string cut inside an emoji) would arrive as U+FFFD: refuse rather than alter.
      return isWellFormed(value) ? undefined : { path, reason: 'a string with a lone surrogate' };
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return undefined;
    case 'function':
      return { path, reason: 'a function' };
    case 'symbol':
      return { path, reason: 'a symbol' };
    case 'object':
      break;
  }
  if (value === null) return undefined;
  const object = value;
  if (ArrayBuffer.isView(object) || LEAF_CLASSES.some((leaf) => object instanceof leaf)) return undefined;
  if (ancestors.includes(object)) return { path, reason: 'a cycle' };
  // `ancestors` holds the containers above this one: its length is this value's depth.
  if (ancestors.length >= MAX_DEPTH) return { path, reason: `nesting deeper than ${MAX_DEPTH} levels` };
  ancestors.push(object);
  try {
    if (Array.isArray(object)) {
      for (let index = 0; index < object.length; index++) {
        const found = walk(object[index], `${path}[${index}]`, ancestors);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    if (object instanceof Map) {
      for (const [key, item] of object) {
        const found = walk(key, `${path}<key>`, ancestors) ?? walk(item, `${path}.get(${String(key)})`, ancestors);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    if (object instanceof Set) {
      let index = 0;
      for (const item of object) {
        const found = walk(item, `${path}<set ${index++}>`, ancestors);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(object);
    if (object instanceof Error) {
      // The codec writes an Error's name, message and cause; the cause is a value like any other.
      if (Object.hasOwn(object, 'cause')) {
        const found = walk((object as { cause?: unknown }).cause, `${path}.cause`, ancestors);
        if (found !== undefined) return found;
      }
    } else if (!PLAIN_PROTOTYPES.has(proto)) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown';
      return { path, reason: `an instance of class ${name}` };
    }
    for (const key in object) {
      // An own "__proto__" key (JSON.parse makes them) does not survive decoding as a plain key.
      if (key === '__proto__') return { path: `${path}.__proto__`, reason: 'an own "__proto__" key' };
      if (!isWellFormed(key)) return { path, reason: 'a key with a lone surrogate' };
      const found = walk((object as Record<string, unknown>)[key], `${path}.${key}`, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}

/** What a value is, in a `SERIALIZATION_FAILED` error. */
export type ValueDirection =
  'message' | 'output' | 'state' | 'event' | 'shared-state' | 'input' | 'request' | 'response';

/**
 * Throws `SERIALIZATION_FAILED` naming executor, direction and path if the codec cannot carry `value`.
 */
export function assertSerializable(value: unknown, where: { executorId: string; direction: ValueDirection }): void {
  const found = locateUnserializable(value);
  if (found === undefined) return;
  throw new SuperstepError(
    'SERIALIZATION_FAILED',
    `${where.direction} of executor "${where.executorId}" cannot be serialised: ${found.path} (${found.reason})`,
    { details: { executorId: where.executorId, direction: where.direction, path: found.path, reason: found.reason } },
  );
}
