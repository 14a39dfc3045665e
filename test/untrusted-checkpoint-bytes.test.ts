/**
 * Untrusted checkpoint bytes (docs/reliability.md#untrusted-checkpoint-bytes): whatever a store hands back,
 * `restore()` either refuses it with a checkpoint code — nothing applied — or restores an instance whose
 * `resume()` runs to an end (a result or a typed error, never `INTERNAL`). No uncaught error, no hang, no
 * allocation sized by a length the bytes merely declare; and after every case a clean restore resumes with
 * exactly the outputs of the original run.
 *
 * The bytes: a real run's checkpoints (the looping fan-in graph of checkpoint-graph.ts) with a hostile
 * msgpack fragment spliced into a queued message, a fan-in buffer, a shared-state value or a pending
 * request, or served as an actor snapshot (under a key whose CRC matches, so it reaches the decoder):
 * msgpackr extension types (Error with names from Object.prototype, cycles and shared references, typed
 * arrays, RegExp, bigint, bundled strings, record definitions, unknown types), nesting from just past the
 * limit to far past the stack, huge declared lengths, random bytes; plus mutated bodies.
 *
 * CI runs a fixed seed. More: `FUZZ_RUNS=2000 FUZZ_SEED=$RANDOM npx vitest run test/untrusted-checkpoint-bytes.test.ts`.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createMemoryStore,
  createPool,
  decode,
  encode,
  type ActorPool,
  type CheckpointMeta,
  type CheckpointRead,
  type CheckpointStore,
} from '@superstep/runtime';
import { loopGraph } from './checkpoint-graph.ts';
import type { Joined } from './fixtures/checkpoints.ts';
import { delegatingStore, type CodedError } from './helpers.ts';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = Number(process.env.FUZZ_SEED ?? 13);
const RUNS = FUZZ_RUNS > 0 ? FUZZ_RUNS : 150;
/** Only keeps a broken runtime from hanging the suite; no assertion is about time. */
const CASE_BOUND_MS = 15_000;
const REFUSALS = ['CHECKPOINT_CORRUPT', 'CHECKPOINT_VERSION_UNSUPPORTED', 'CHECKPOINT_SIGNATURE_MISMATCH'];
/** Above this much extra resident memory something allocated what the bytes only declared. */
const MEMORY_BOUND = 256 * 1024 * 1024;

let pool: ActorPool;
let store: CheckpointStore;
let metas: CheckpointMeta[];
let outputs: Joined[];
const BASE = 5;

beforeAll(async () => {
  pool = await createPool({ threads: 2 });
  store = createMemoryStore();
  await using wf = await loopGraph().build({ pool, store, name: 'loop' });
  outputs = (await wf.run({ i: 2 }).result()).outputs as Joined[];
  metas = await store.list({ workflowName: 'loop' });
});
afterAll(async () => {
  await store.close();
  await pool.close();
});

// ---- hostile msgpack fragments ----------------------------------------------------------------------

const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const str = (text: string): number[] => [0xa0 | text.length, ...Buffer.from(text)];

/** msgpackr's Error extension: [name, message, cause]. */
const errorExt = (name: string, cause: number[] = [0xc0]): number[] => [
  0xd4,
  0x65,
  0x00,
  0x93,
  ...str(name),
  ...str('m'),
  ...cause,
];

const fragment: fc.Arbitrary<readonly number[]> = fc.oneof(
  fc
    .constantFrom(
      'valueOf',
      'constructor',
      '__proto__',
      'toString',
      '__defineGetter__',
      'isPrototypeOf',
      'Error',
      'AggregateError',
    )
    .chain((name) => fc.constantFrom(errorExt(name), errorExt('Error', errorExt(name)), [0x91, ...errorExt(name)])),
  // Structured-clone references: a cycle, a pointer to nothing, a shared reference.
  fc.constant([0xd6, 0x69, ...u32(1), 0x81, ...str('a'), 0xd6, 0x70, ...u32(1)]),
  fc.constant([0xd6, 0x70, ...u32(7)]),
  fc.constant([0x92, 0xd6, 0x69, ...u32(2), 0x90, 0xd6, 0x70, ...u32(2)]),
  // Nesting: just past the limit, to far past the decoder's stack.
  fc.constantFrom(129, 140, 2_000, 20_000).map((levels) => [...new Array<number>(levels - 1).fill(0x91), 0x90]),
  fc
    .constantFrom(129, 5_000)
    .map((levels) => [...new Array<number>(levels - 1).fill(0x81 + 0).flatMap(() => [0x81, ...str('k')]), 0x80]),
  // Huge declared lengths: array32, map32, str32, bin32, ext32.
  fc.constantFrom(0xdd, 0xdf, 0xdb, 0xc6).map((head) => [head, 0xff, 0xff, 0xff, 0xff, 0x01]),
  fc.constant([0xc9, 0xff, 0xff, 0xff, 0xff, 0x74, 0x01]),
  // Other extensions with random payloads: typed arrays, RegExp, bigint, Set, Date, bundled strings, records, unknown.
  fc
    .tuple(
      fc.constantFrom(0x74, 0x78, 0x42, 0x73, 0xff, 0x62, 0x72, 0x00, 0x10, 0x7f),
      fc.uint8Array({ maxLength: 12 }),
    )
    .map(([type, payload]) => [0xc7, payload.length, type, ...payload]),
  fc
    .tuple(fc.constantFrom(0x74, 0x78, 0x73, 0x62, 0x72), fc.integer({ min: 0, max: 255 }))
    .map(([type, b]) => [0xd4, type, b]),
  fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => [...bytes]),
);

// ---- where they go ----------------------------------------------------------------------------------

const MARK = 'HOSTILE_FRAGMENT';
const MARK_BYTES = Buffer.from(str(MARK));
type Place = 'queue' | 'fanIn' | 'shared' | 'request' | 'snapshot' | 'mutated body';
const place = fc.constantFrom<Place>('queue', 'fanIn', 'shared', 'request', 'snapshot', 'mutated body');

/** Encodes `body` with the marker string where `place` says, then puts `bytes` where the marker is. */
function withFragment(
  body: Record<string, unknown>,
  where: Exclude<Place, 'snapshot' | 'mutated body'>,
  bytes: readonly number[],
): Uint8Array {
  const edited = { ...body };
  switch (where) {
    case 'queue':
      edited.queue = [['seed', 'seed', MARK]];
      break;
    case 'fanIn': {
      const [first] = body.fanIn as [number, unknown][];
      edited.fanIn = [[first?.[0] ?? 0, [['lag', [MARK]]]]];
      break;
    }
    case 'shared':
      edited.shared = [['hostile', MARK]];
      break;
    case 'request':
      edited.requests = [['req-hostile', 'seed', MARK, 0]];
      break;
  }
  const encoded = Buffer.from(encode(edited));
  const at = encoded.indexOf(MARK_BYTES);
  if (at < 0) throw new Error('marker not found');
  return Uint8Array.from([...encoded.subarray(0, at), ...bytes, ...encoded.subarray(at + MARK_BYTES.length)]);
}

/** A format-2 key for `bytes`: its CRC-32, then 56 digits of our own. */
const keyFor = (bytes: Uint8Array, salt: number): string =>
  crc32(bytes).toString(16).padStart(8, '0') + salt.toString(16).padStart(56, 'e');

/** `read` with the first actor's snapshot replaced by `bytes` (the body names it by a matching key). */
function withSnapshot(read: CheckpointRead, bytes: Uint8Array, salt: number): CheckpointRead {
  const body = decode(read.body) as Record<string, unknown> & { actors: [string[], string] };
  const [ids, keys] = body.actors;
  if (ids.length === 0) return read;
  const key = keyFor(bytes, salt);
  body.actors = [ids, key + keys.slice(64)];
  return { ...read, body: encode(body), blobs: new Map([...read.blobs, [key, bytes]]) };
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not settle`));
    }, CASE_BOUND_MS);
  });
  return Promise.race([promise, bound]).finally(() => {
    clearTimeout(timer);
  });
}

it(
  `property: ${RUNS} checkpoints carrying hostile bytes are refused with a checkpoint code or restore to an instance that runs to an end; a clean restore then resumes exactly as before`,
  async () => {
    const baseMeta = metas[BASE];
    if (baseMeta === undefined) throw new Error('no base checkpoint');
    const afterBase = outputs.filter((output) => output.superstep > BASE);
    await using wf = await loopGraph().build({ pool, name: 'loop' });
    const seen = new Map<string, number>();
    const count = (key: string): void => {
      seen.set(key, (seen.get(key) ?? 0) + 1);
    };
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: metas.length - 1 }),
        place,
        fragment,
        fc.nat(),
        async (index, where, bytes, salt) => {
          const meta = metas[index];
          if (meta === undefined) throw new Error(`no checkpoint ${index}`);
          const hostile = delegatingStore(store, {
            load: async (id) => {
              const read = await store.load(id);
              if (read === undefined) return undefined;
              if (where === 'snapshot') return withSnapshot(read, Uint8Array.from(bytes), salt);
              if (where === 'mutated body') {
                const body = Uint8Array.from(read.body);
                bytes.forEach((byte, k) => {
                  body[(salt + k * 7919) % body.byteLength] = byte;
                });
                return { ...read, body };
              }
              return { ...read, body: withFragment(decode(read.body) as Record<string, unknown>, where, bytes) };
            },
          });
          const refusal = await bounded(wf.restore(meta.id, { store: hostile }), 'restore').then(
            () => undefined,
            (error: unknown) => error as CodedError,
          );
          if (refusal === undefined) {
            const ended = await bounded(wf.resume({ maxSupersteps: 40 }).result(), 'resume').then(
              () => 'ran',
              (error: unknown) => String((error as CodedError).code),
            );
            count(`${where}: restored, ${ended}`);
            expect(ended).not.toBe('INTERNAL');
            expect(ended).not.toBe('undefined');
          } else {
            count(`${where}: ${String(refusal.code)}`);
            expect(REFUSALS).toContain(refusal.code);
          }
          expect(wf.status).toBe('idle');
          // Whatever the bytes did, the instance is not poisoned: the base restores and resumes as it did.
          await bounded(wf.restore(baseMeta.id, { store }), 'clean restore');
          expect((await bounded(wf.resume().result(), 'clean resume')).outputs).toEqual(afterBase);
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`untrusted checkpoint bytes (seed ${SEED}):`, Object.fromEntries([...seen].sort()));
    expect(rssPeak - rssBefore).toBeLessThan(MEMORY_BOUND);
    expect([...seen.keys()].some((key) => key.endsWith('CHECKPOINT_CORRUPT'))).toBe(true);
  },
  Math.max(120_000, RUNS * 1_000),
);
