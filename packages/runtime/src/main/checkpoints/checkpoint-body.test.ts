/**
 * The checkpoint body decoder against bytes it should refuse (guarantee 42), property-based with fast-check.
 *
 * Bodies are made by the real encoder ({@link encodeCheckpointBody}, what the checkpointer writes) from
 * generated instance states — queued messages, half-filled fan-in buffers, shared state, actor snapshot
 * references, pending requests and a sub-workflow's state — and from one hand-written state shaped like a
 * real run's barrier. Then they are truncated, bit-flipped, overwritten and spliced thousands of times:
 * the decoder returns a well-formed state or refuses with CHECKPOINT_CORRUPT,
 * CHECKPOINT_VERSION_UNSUPPORTED or CHECKPOINT_SIGNATURE_MISMATCH — nothing else, never a crash.
 * Structural edits (a wrong version, signature, field type, missing field) get exactly their code.
 * test/malformed-checkpoints-and-options.test.ts does fewer, whole `restore()` round trips on a real run's bodies.
 *
 * CI runs a fixed seed. For a longer hunt: `FUZZ_RUNS=100000 FUZZ_SEED=$RANDOM npx vitest run
 * packages/runtime/src/main/checkpoints/checkpoint-body.test.ts` (see docs/reliability.md).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.ts';
import { SuperstepError } from '../../shared/errors.ts';
import type { Envelope, FanInBuffers } from '../superstep/router.ts';
import {
  decodeCheckpointBody,
  encodeCheckpointBody,
  type CheckpointState,
  type PendingRequestRecord,
  type SignatureTree,
} from './checkpoint-body.ts';
import { CHECKPOINT_FORMAT_VERSION, READABLE_FORMAT_VERSIONS } from './checkpoint-store.ts';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
/** `numRuns` in CI, or FUZZ_RUNS when set; the timeout grows with it. */
const settings = (numRuns: number) => ({ seed: SEED, numRuns: FUZZ_RUNS > 0 ? FUZZ_RUNS : numRuns });
const timeout = FUZZ_RUNS > 0 ? Math.max(60_000, FUZZ_RUNS * 10) : 60_000;

/** A parent graph with one sub-workflow node, as the decoder sees graphs: signatures only. */
const GRAPH: SignatureTree = {
  signature: 'a3f1c0de'.repeat(8),
  subWorkflows: new Map([['approval', { signature: 'b4e2d1cf'.repeat(8), subWorkflows: new Map() }]]),
};

const REFUSALS = ['CHECKPOINT_CORRUPT', 'CHECKPOINT_VERSION_UNSUPPORTED', 'CHECKPOINT_SIGNATURE_MISMATCH'] as const;
type Refusal = (typeof REFUSALS)[number];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// ---- instance states ---------------------------------------------------------------------------------

const id = fc.constantFrom('seed', 'left', 'right', 'lag', 'join', 'approval', '$input', '$response', 'left+right');
const payload: fc.Arbitrary<unknown> = fc.oneof(
  // Through JSON once (-0 becomes 0); no "__proto__" keys: both are codec limits (see shared/codec.test.ts).
  fc
    .jsonValue()
    .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    .filter((v) => !JSON.stringify(v).includes('"__proto__"')),
  fc.record({ i: fc.nat(), from: id, value: fc.integer() }, { noNullPrototype: true }),
  fc.float64Array({ maxLength: 4, noDefaultInfinity: true, noNaN: true }),
  fc.array(fc.tuple(fc.string(), fc.integer()), { maxLength: 3 }).map((entries) => new Map(entries)),
);

const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  fc.record({ source: id, target: id, payload }, { noNullPrototype: true }),
  // A fan-in's list message, with its sources (ids with "+" among them: the list keeps them apart).
  fc
    .record({ sources: fc.array(id, { minLength: 1, maxLength: 3 }), target: id, payload }, { noNullPrototype: true })
    .map(({ sources, target, payload: value }) => ({ source: sources.join('+'), sources, target, payload: value })),
);
const fanIn: fc.Arbitrary<FanInBuffers> = fc
  .array(fc.tuple(fc.nat(20), fc.array(fc.tuple(id, fc.array(payload, { maxLength: 3 })), { maxLength: 3 })), {
    maxLength: 3,
  })
  .map((entries) => new Map(entries.map(([index, perSource]) => [index, new Map(perSource)])));
const request: fc.Arbitrary<PendingRequestRecord> = fc.record(
  { requestId: fc.uuid(), executorId: id, data: payload, superstep: fc.nat(1000) },
  { noNullPrototype: true },
);

function stateOf(graph: SignatureTree): fc.Arbitrary<CheckpointState> {
  const children = [...graph.subWorkflows].map(([childId, childGraph]) =>
    stateOf(childGraph).map((child) => [childId, child] as const),
  );
  return fc.record(
    {
      formatVersion: fc.constant(CHECKPOINT_FORMAT_VERSION),
      superstep: fc.nat(1000),
      queue: fc.array(envelope, { maxLength: 5 }),
      fanIn,
      shared: fc.array(fc.tuple(fc.string({ maxLength: 8 }), payload), { maxLength: 4 }).map((e) => new Map(e)),
      actors: fc.array(fc.tuple(id, fc.string().map(sha256)), { maxLength: 5 }).map((e) => new Map(e)),
      requests: fc.array(request, { maxLength: 3 }),
      children: fc.tuple(...children).map((entries) => new Map(entries)),
    },
    { noNullPrototype: true },
  );
}
const state = stateOf(GRAPH);

/** A barrier the way a real run of a looping fan-in graph leaves it (cf. test/fixtures/checkpoints.ts). */
const REAL: CheckpointState = {
  formatVersion: CHECKPOINT_FORMAT_VERSION,
  superstep: 2,
  queue: [{ source: 'left', target: 'lag', payload: { from: 'left', i: 1, value: 11 } }],
  fanIn: new Map([[3, new Map([['right', [{ from: 'right', i: 1, value: 101 }]]])]]),
  shared: new Map<string, unknown>([
    ['round', 1],
    ['total', 0],
  ]),
  actors: new Map([
    ['seed', sha256('seed')],
    ['left', sha256('left')],
    ['right', sha256('right')],
  ]),
  requests: [{ requestId: 'req-1', executorId: 'approval', data: { question: 'ship?' }, superstep: 2 }],
  children: new Map([
    [
      'approval',
      {
        formatVersion: CHECKPOINT_FORMAT_VERSION,
        superstep: 1,
        queue: [],
        fanIn: new Map(),
        shared: new Map(),
        actors: new Map([['ask', sha256('ask')]]),
        requests: [{ requestId: 'req-1', executorId: 'ask', data: { question: 'ship?' }, superstep: 1 }],
        children: new Map(),
      },
    ],
  ]),
};

// ---- outcomes ------------------------------------------------------------------------------------------

/** Decodes and reports how it went; any other throw, or a malformed state, fails the property. */
function outcomeOf(bytes: Uint8Array, graph: SignatureTree = GRAPH): 'decoded' | Refusal {
  let decoded: CheckpointState;
  try {
    decoded = decodeCheckpointBody(bytes, graph);
  } catch (error) {
    expect(error).toBeInstanceOf(SuperstepError);
    const code = (error as SuperstepError).code;
    expect(REFUSALS).toContain(code);
    return code as Refusal;
  }
  expectWellFormed(decoded, graph);
  return 'decoded';
}

/** What every decoded state guarantees to its users (restore, the coordinator). */
function expectWellFormed(decoded: CheckpointState, graph: SignatureTree): void {
  expect(Number.isSafeInteger(decoded.superstep) && decoded.superstep >= 0).toBe(true);
  for (const e of decoded.queue) expect([typeof e.source, typeof e.target]).toEqual(['string', 'string']);
  for (const [index, perSource] of decoded.fanIn) {
    expect(Number.isInteger(index)).toBe(true);
    for (const [source, list] of perSource) {
      expect(typeof source).toBe('string');
      expect(Array.isArray(list)).toBe(true);
    }
  }
  for (const key of decoded.shared.keys()) expect(typeof key).toBe('string');
  for (const [actorId, hash] of decoded.actors) {
    expect(typeof actorId).toBe('string');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  }
  for (const r of decoded.requests) {
    expect([typeof r.requestId, typeof r.executorId]).toEqual(['string', 'string']);
    expect(Number.isInteger(r.superstep)).toBe(true);
  }
  expect([...decoded.children.keys()].sort()).toEqual([...graph.subWorkflows.keys()].sort());
  for (const [childId, child] of decoded.children) {
    const childGraph = graph.subWorkflows.get(childId);
    if (childGraph === undefined) throw new Error(`unexpected child ${childId}`);
    expectWellFormed(child, childGraph);
  }
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'splice'; readonly at: number; readonly from: number; readonly length: number };

/** Byte-level mutations; positions are taken modulo the length, so one mutation fits any body. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  // A piece of the body copied elsewhere in it: well-formed msgpack fragments in the wrong place.
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    from: fc.nat(),
    length: fc.integer({ min: 1, max: 32 }),
  }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.byteLength;
  const at = n === 0 ? 0 : m.at % n;
  switch (m.kind) {
    case 'flip':
    case 'set': {
      const out = Uint8Array.from(bytes);
      if (n > 0) out[at] = m.kind === 'flip' ? (out[at] ?? 0) ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'delete':
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case 'splice': {
      const from = n === 0 ? 0 : m.from % n;
      return Uint8Array.from([
        ...bytes.subarray(0, at),
        ...bytes.subarray(from, from + m.length),
        ...bytes.subarray(at),
      ]);
    }
  }
}

// ---- properties ----------------------------------------------------------------------------------------

describe('checkpoint body: round trip', () => {
  it(
    'decode(encode(state)) equals the state, sub-workflow included',
    () => {
      expect(decodeCheckpointBody(encodeCheckpointBody(REAL, GRAPH), GRAPH)).toStrictEqual(REAL);
      fc.assert(
        fc.property(state, (original) => {
          expect(decodeCheckpointBody(encodeCheckpointBody(original, GRAPH), GRAPH)).toStrictEqual(original);
        }),
        settings(500),
      );
    },
    timeout,
  );
});

describe('checkpoint body: malformed bytes (guarantee 42)', () => {
  it(
    'a body truncated, bit-flipped, overwritten or spliced (1–4 times) decodes to a well-formed state or is refused with CHECKPOINT_CORRUPT / _VERSION_UNSUPPORTED / _SIGNATURE_MISMATCH',
    () => {
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(
          fc.oneof({ weight: 1, arbitrary: fc.constant(REAL) }, { weight: 3, arbitrary: state }),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          (original, mutations) => {
            const outcome = outcomeOf(mutations.reduce(mutate, encodeCheckpointBody(original, GRAPH)));
            seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
          },
        ),
        settings(5000),
      );
      // Not vacuous: mutations both slip through and get caught, and each refusal happens.
      expect(seen.get('decoded')).toBeGreaterThan(0);
      expect(seen.get('CHECKPOINT_CORRUPT')).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    'every truncation of a real-shaped body is refused with CHECKPOINT_CORRUPT',
    () => {
      const bytes = encodeCheckpointBody(REAL, GRAPH);
      for (let length = 0; length < bytes.byteLength; length++) {
        expect(outcomeOf(bytes.subarray(0, length)), `truncated to ${length} of ${bytes.byteLength}`).toBe(
          'CHECKPOINT_CORRUPT',
        );
      }
    },
    timeout,
  );

  it(
    'random bytes are refused (or, by chance, decode to a well-formed state)',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
          outcomeOf(bytes);
        }),
        settings(3000),
      );
    },
    timeout,
  );
});

// ---- structural edits: each gets its own code --------------------------------------------------------

/** The body as a plain record (what the encoder wrote), for structural edits. */
function rawBody(original: CheckpointState = REAL): Record<string, unknown> {
  return decode(encodeCheckpointBody(original, GRAPH)) as Record<string, unknown>;
}

const readable = (v: unknown): boolean => READABLE_FORMAT_VERSIONS.includes(v as number);
const unreadable = fc.oneof(
  fc.integer().filter((n) => !readable(n)),
  fc.double().filter((n) => !readable(n)),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant('1'),
  fc.jsonValue().filter((v) => !readable(v)),
);

/** Values of the wrong shape for each field (each one alone makes the body malformed). */
const WRONG: Readonly<Record<string, readonly unknown[]>> = {
  superstep: [-1, 1.5, '2', null, Number.NaN, Number.POSITIVE_INFINITY, undefined, [2]],
  queue: [
    undefined,
    null,
    'queue',
    {},
    [null],
    [['left', 'lag']],
    [[1, 'lag', null]],
    [['left', 2, null]],
    // A fan-in's sources: a non-empty list of ids.
    [['left+right', 'join', [], 'left']],
    [['left+right', 'join', [], []]],
    [['left+right', 'join', [], ['left', 2]]],
    [['left+right', 'join', [], ['left'], 'extra']],
  ],
  fanIn: [
    undefined,
    {},
    [[1.5, []]],
    [['3', []]],
    [[3, 'sources']],
    [[3, [['right', 'not a list']]]],
    [[3, [[7, []]]]],
  ],
  shared: [undefined, 'shared', [['round']], [[1, 2]], [null]],
  actors: [
    undefined,
    // Format 1's pairs are not format 2's [ids, keys].
    [['seed', sha256('x')]],
    [['seed'], sha256('x').slice(1)],
    [['seed', 'left'], sha256('x')],
    [['seed'], 'A'.repeat(64)],
    [['seed'], 'g'.repeat(64)],
    [[1], sha256('x')],
    [['seed'], [sha256('x')]],
    [['seed'], sha256('x'), 'extra'],
  ],
  requests: [undefined, [['req', 'approval', null]], [['req', 'approval', null, 1.5]], [[1, 'approval', null, 1]]],
  children: [undefined, [], [['approval']], [['approval', 'not a body']], [['unknown', {}]], [['approval', []]]],
};

describe('checkpoint body: structural edits get their own code (guarantees 25, 42)', () => {
  it('a formatVersion other than the readable ones (1, 2) is CHECKPOINT_VERSION_UNSUPPORTED, checked before anything else but decoding', () => {
    fc.assert(
      fc.property(unreadable, fc.boolean(), (version, alsoWrongSignature) => {
        const body = { ...rawBody(), formatVersion: version, ...(alsoWrongSignature ? { signature: 'other' } : {}) };
        expect(outcomeOf(encode(body))).toBe('CHECKPOINT_VERSION_UNSUPPORTED');
      }),
      settings(500),
    );
    // …also in a sub-workflow's nested body.
    const nested = rawBody();
    const [[childId, child]] = nested.children as [string, Record<string, unknown>][] as [
      [string, Record<string, unknown>],
    ];
    nested.children = [[childId, { ...child, formatVersion: 99 }]];
    expect(outcomeOf(encode(nested))).toBe('CHECKPOINT_VERSION_UNSUPPORTED');
  });

  it("a signature other than the graph's is CHECKPOINT_SIGNATURE_MISMATCH (also a sub-workflow's)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.jsonValue()).filter((s) => s !== GRAPH.signature),
        (signature) => {
          expect(outcomeOf(encode({ ...rawBody(), signature }))).toBe('CHECKPOINT_SIGNATURE_MISMATCH');
        },
      ),
      settings(500),
    );
    const nested = rawBody();
    const [[childId, child]] = nested.children as [[string, Record<string, unknown>]];
    nested.children = [[childId, { ...child, signature: GRAPH.signature }]];
    expect(outcomeOf(encode(nested))).toBe('CHECKPOINT_SIGNATURE_MISMATCH');
  });

  it('a field of the wrong shape, or missing, is CHECKPOINT_CORRUPT', () => {
    for (const [field, values] of Object.entries(WRONG)) {
      for (const wrong of values) {
        const { [field]: _original, ...rest } = rawBody();
        const body = wrong === undefined ? rest : { ...rest, [field]: wrong };
        const what = wrong === undefined ? 'missing' : JSON.stringify(wrong);
        expect(outcomeOf(encode(body)), `${field}: ${what}`).toBe('CHECKPOINT_CORRUPT');
      }
    }
  });

  it('a format-1 body (actors as [id, sha256] pairs) decodes to the same state; its malformed pairs are CHECKPOINT_CORRUPT', () => {
    const v1: Record<string, unknown> = { ...rawBody(), formatVersion: 1, actors: [...REAL.actors] };
    const nested = v1.children as [string, Record<string, unknown>][];
    const child = REAL.children.get('approval');
    if (child === undefined) throw new Error('no child');
    v1.children = nested.map(([id, body]) => [id, { ...body, formatVersion: 1, actors: [...child.actors] }]);
    const decoded = decodeCheckpointBody(encode(v1), GRAPH);
    expect(decoded).toEqual({
      ...REAL,
      formatVersion: 1,
      children: new Map([['approval', { ...child, formatVersion: 1 }]]),
    });
    for (const wrong of [
      [['seed']],
      [['seed', 'not a hash']],
      [['seed', 'A'.repeat(64)]],
      [[1, sha256('x')]],
      [[['seed'], sha256('x')]],
    ]) {
      expect(outcomeOf(encode({ ...v1, actors: wrong })), JSON.stringify(wrong)).toBe('CHECKPOINT_CORRUPT');
    }
  });

  it('a body that is not a record at all is CHECKPOINT_CORRUPT', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
          fc.array(fc.anything()),
        ),
        (notARecord) => {
          expect(outcomeOf(encode(notARecord))).toBe('CHECKPOINT_CORRUPT');
        },
      ),
      settings(300),
    );
  });
});
