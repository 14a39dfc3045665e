/**
 * The codec's round-trip and robustness suite (guarantees 41, 42), property-based with fast-check.
 *
 * - Every value {@link findUnserializable} accepts comes back equal from `decode(encode(value))`, also
 *   through a separate decoder (another thread has its own): each buffer is self-contained.
 * - A function, symbol, class instance or cycle anywhere in a value is found, at its exact path.
 * - `decode` of random or mutated bytes either returns or throws `DECODE_FAILED`, never anything else,
 *   and leaves the codec working.
 *
 * CI runs a fixed seed. For a longer hunt: `FUZZ_RUNS=100000 FUZZ_SEED=$RANDOM npx vitest run
 * packages/runtime/src/shared/codec.test.ts` (see docs/reliability.md).
 */
import fc from 'fast-check';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, decode, decodeUntrusted, encode, findUnserializable } from './codec.ts';
import { SuperstepError } from './errors.ts';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
/** `numRuns` in CI, or FUZZ_RUNS when set; the timeout grows with it. */
const settings = (numRuns: number) => ({ seed: SEED, numRuns: FUZZ_RUNS > 0 ? FUZZ_RUNS : numRuns });
const timeout = FUZZ_RUNS > 0 ? Math.max(60_000, FUZZ_RUNS * 10) : 60_000;

// ---- values the codec carries ----------------------------------------------------------------------

/**
 * Object keys and strings. Well-formed text only: a lone surrogate is not carried (see the regression
 * test below). `__proto__` is left out here for the same reason, and because assigning it would set
 * the prototype instead of a key.
 */
const key = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((k) => k !== '__proto__');
const text = fc.string({ unit: 'grapheme', maxLength: 24 });

const typedArray = fc.oneof(
  fc.int8Array(),
  fc.uint8Array(),
  fc.uint8ClampedArray(),
  fc.int16Array(),
  fc.uint16Array(),
  fc.int32Array(),
  fc.uint32Array(),
  fc.float32Array(),
  fc.float64Array(),
  fc.bigInt64Array(),
  fc.bigUint64Array(),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  // -0 is written as 0 (msgpack has no negative zero integer): equal to 0, not Object.is-equal.
  fc.double().filter((n) => !Object.is(n, -0)),
  fc.bigInt(),
  text,
  fc.date(),
  typedArray,
  fc.uint8Array().map((bytes) => bytes.buffer),
  fc.constantFrom(/a+b?/g, /^x$/imsu, new RegExp('[\\d]+', 'y')),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
    fc.array(fc.tuple(fc.oneof(text, fc.integer()), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.array(fc.oneof(text, fc.integer(), fc.boolean()), { maxLength: 4 }).map((items) => new Set(items)),
  ),
}));

/** JSON-like documents, as most workflow messages are (through JSON once: that turns -0 into 0, see above). */
const json = fc
  .jsonValue()
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !JSON.stringify(v).includes('"__proto__"'));

describe('codec round trip (guarantee 41)', () => {
  it(
    'encode → decode gives back an equal value for everything findUnserializable accepts (JSON, typed arrays, Map, Set, Date, bigint, RegExp, ArrayBuffer)',
    () => {
      fc.assert(
        fc.property(fc.oneof(value, json), (original) => {
          expect(findUnserializable(original)).toBeUndefined();
          const bytes = encode(original);
          expect(decode(bytes)).toStrictEqual(original);
        }),
        settings(1000),
      );
    },
    timeout,
  );

  it(
    'every buffer is self-contained and owns its memory: a separate decoder (another thread has its own) reads it, and it may be transferred',
    () => {
      // Encode many values in a row first, so the encoder has every chance to reuse record structures.
      fc.assert(
        fc.property(fc.array(fc.oneof(value, json), { minLength: 1, maxLength: 8 }), (values) => {
          const buffers = values.map((v) => encode(v));
          buffers.forEach((bytes, k) => {
            expect(bytes.byteOffset).toBe(0);
            expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
            const elsewhere = new Unpackr({ moreTypes: true, useRecords: true });
            expect(elsewhere.unpack(bytes)).toStrictEqual(values[k]);
          });
        }),
        settings(300),
      );
    },
    timeout,
  );

  it('a typed array that views part of a larger buffer is carried as its own bytes only', () => {
    const backing = new Float64Array([1, 2, 3, 4, 5]);
    const view = new Float64Array(backing.buffer, 8, 3);
    expect(decode(encode({ view }))).toStrictEqual({ view: new Float64Array([2, 3, 4]) });
  });

  // Regression guard for a codec gap (reported): msgpack cannot carry these faithfully, yet
  // findUnserializable accepts them, so they change silently on the way. Either the codec carries them or
  // findUnserializable must name them (guarantee 41: "fails with a typed error, not a crash deep inside").
  it.each([
    ['a string with a lone surrogate (e.g. an emoji cut in half by slice())', { text: '\ud83d' }],
    ['an own "__proto__" key (JSON.parse makes those)', JSON.parse('{"__proto__": {"admin": true}}') as unknown],
  ])('guarantee 41: %s either round-trips or is refused by findUnserializable', (_what, original) => {
    if (findUnserializable(original) !== undefined) return;
    expect(decode(encode(original))).toStrictEqual(original);
  });
});

// ---- values the codec refuses ----------------------------------------------------------------------

type Step =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly filler: readonly unknown[] }
  | { readonly kind: 'map'; readonly key: string }
  | { readonly kind: 'set'; readonly filler: readonly number[] };

const step: fc.Arbitrary<Step> = fc.oneof(
  key.map((k) => ({ kind: 'key' as const, key: k })),
  fc.array(json, { maxLength: 3 }).map((filler) => ({ kind: 'index' as const, filler })),
  fc.string({ maxLength: 4 }).map((k) => ({ kind: 'map' as const, key: k })),
  fc.uniqueArray(fc.integer(), { maxLength: 3 }).map((filler) => ({ kind: 'set' as const, filler })),
);

const badKinds = ['function', 'symbol', 'class', 'cycle'] as const;
type BadKind = (typeof badKinds)[number];

class Money {
  constructor(readonly cents: number) {}
}

const REASONS: Record<BadKind, string> = {
  function: 'a function',
  symbol: 'a symbol',
  class: 'an instance of class Money',
  cycle: 'a cycle',
};

/** Wraps the bad part in `steps` (outermost first); returns the value and the path findUnserializable must report. */
function plant(steps: readonly Step[], bad: BadKind): { value: unknown; path: string } {
  const root: Record<string, unknown> = {};
  let path = '$.root';
  const holder = (inner: unknown, s: Step): unknown => {
    switch (s.kind) {
      case 'key': {
        const object: Record<string, unknown> = {};
        Object.defineProperty(object, s.key, { value: inner, enumerable: true, writable: true, configurable: true });
        return object;
      }
      case 'index':
        return [...s.filler, inner];
      case 'map':
        return new Map([[s.key, inner]]);
      case 'set':
        return new Set<unknown>([...s.filler, inner]);
    }
  };
  for (const s of steps) {
    switch (s.kind) {
      case 'key':
        path += `.${s.key}`;
        break;
      case 'index':
        path += `[${s.filler.length}]`;
        break;
      case 'map':
        path += `.get(${s.key})`;
        break;
      case 'set':
        path += `<set ${s.filler.length}>`;
        break;
    }
  }
  const badPart = { function: () => 1, symbol: Symbol('s'), class: new Money(1), cycle: root }[bad];
  root.root = steps.reduceRight<unknown>((inner, s) => holder(inner, s), badPart);
  return { value: root, path: `${path} (${REASONS[bad]})` };
}

describe('findUnserializable (guarantee 41)', () => {
  it('finds a function, symbol, class instance or cycle planted anywhere, at its exact path', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 5 }), fc.constantFrom(...badKinds), (steps, bad) => {
        const planted = plant(steps, bad);
        expect(findUnserializable(planted.value)).toBe(planted.path);
      }),
      settings(1000),
    );
  });
});

// ---- bytes the codec did not make ------------------------------------------------------------------

/** Calls decode and reports how it ended: a value, or DECODE_FAILED. Anything else fails the property. */
function decodeOrFail(bytes: Uint8Array): 'decoded' | 'DECODE_FAILED' {
  try {
    decode(bytes);
    return 'decoded';
  } catch (error) {
    expect(error).toBeInstanceOf(SuperstepError);
    expect((error as SuperstepError).code).toBe('DECODE_FAILED');
    return 'DECODE_FAILED';
  }
}

/** The codec still works after whatever it was fed. */
function expectCodecHealthy(): void {
  const canary = {
    records: [
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ],
    map: new Map([[1, 2n]]),
  };
  expect(decode(encode(canary))).toStrictEqual(canary);
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array };

/** Byte-level mutations; `at` is a fraction of the length, so one mutation fits any buffer. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = bytes.byteLength === 0 ? 0 : m.at % bytes.byteLength;
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(bytes);
      if (out.byteLength > 0) out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      const out = Uint8Array.from(bytes);
      if (out.byteLength > 0) out[at] = m.byte;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'delete':
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
  }
}

describe('decode of bytes it did not make (guarantee 42)', () => {
  it(
    'random bytes either decode or fail with DECODE_FAILED — never another error — and the codec keeps working',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          decodeOrFail(bytes);
          expectCodecHealthy();
        }),
        settings(5000),
      );
    },
    timeout,
  );

  it(
    'truncated, bit-flipped, overwritten and spliced encodings either decode or fail with DECODE_FAILED, and the codec keeps working',
    () => {
      const outcomes = { decoded: 0, DECODE_FAILED: 0 };
      fc.assert(
        fc.property(
          fc.oneof(value, json),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          (original, mutations) => {
            const bytes = mutations.reduce(mutate, encode(original));
            outcomes[decodeOrFail(bytes)]++;
            expectCodecHealthy();
          },
        ),
        settings(3000),
      );
      // Both outcomes happen: the property is not vacuous.
      expect(outcomes.decoded).toBeGreaterThan(0);
      expect(outcomes.DECODE_FAILED).toBeGreaterThan(0);
    },
    timeout,
  );

  it('a header announcing more items or bytes than the buffer holds fails at once with DECODE_FAILED', () => {
    const headers = [
      [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4 294 967 295 items
      [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of as many entries
      [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str32 of 4 GB, one byte given
      [0xc6, 0x7f, 0xff, 0xff, 0xff], // bin32 of 2 GB
      [0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01], // ext32 of 2 GB
    ];
    for (const header of headers) expect(decodeOrFail(Uint8Array.from(header))).toBe('DECODE_FAILED');
    expectCodecHealthy();
  });
});

/** `levels` arrays, each holding the next; the innermost empty. */
function nested(levels: number): unknown {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

/** The msgpack bytes of `levels` nested arrays (fixarray of one, down to an empty one). */
function nestedBytes(levels: number): Uint8Array {
  const bytes = new Uint8Array(levels).fill(0x91);
  bytes[levels - 1] = 0x90;
  return bytes;
}

describe('decodeUntrusted: exactly the values the runtime writes', () => {
  it(`one depth limit (${MAX_DEPTH}) for values produced and values decoded`, () => {
    expect(findUnserializable(nested(MAX_DEPTH))).toBeUndefined();
    expect(decodeUntrusted(encode(nested(MAX_DEPTH)))).toEqual(nested(MAX_DEPTH));
    expect(findUnserializable({ a: nested(MAX_DEPTH) })).toMatch(/nesting deeper than/);
    expect(findUnserializable(nested(MAX_DEPTH + 1))).toMatch(/nesting deeper than/);
    // Deep enough that a recursive walk would overflow the stack: refused all the same, by path.
    expect(findUnserializable(nested(100_000))).toMatch(/nesting deeper than/);
    for (const levels of [MAX_DEPTH + 1, 2_000, 100_000]) {
      expect(thrownCode(() => decodeUntrusted(nestedBytes(levels)))).toBe('DECODE_FAILED');
    }
    expect(decode(encode({ ok: true }))).toEqual({ ok: true });
  });

  it("msgpackr's Error extension with a name from Object.prototype never decodes into something carried", () => {
    for (const name of ['valueOf', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '__defineGetter__']) {
      const error = new Error('m');
      error.name = name;
      const wrapped = new Error('outer', { cause: error });
      for (const value of [error, wrapped, { deep: [error] }, new Map([['k', error]])]) {
        let decoded: unknown;
        try {
          decoded = decodeUntrusted(encode(value));
        } catch (thrown) {
          expect(thrown).toBeInstanceOf(SuperstepError);
          expect((thrown as SuperstepError).code).toBe('DECODE_FAILED');
          continue;
        }
        // What does decode is a value the runtime could have sent: it survives structured clone too.
        expect(findUnserializable(decoded)).toBeUndefined();
        expect(() => structuredClone(decoded)).not.toThrow();
      }
    }
  });

  it('reference extensions (cycles, shared references) are refused: the runtime never writes them', () => {
    // { a: <the object itself> }: id extension 1 around a map whose value points back to id 1.
    const cycle = Uint8Array.from([0xd6, 0x69, 0, 0, 0, 1, 0x81, 0xa1, 0x61, 0xd6, 0x70, 0, 0, 0, 1]);
    expect(thrownCode(() => decode(cycle))).toBe('DECODE_FAILED');
    expect(thrownCode(() => decodeUntrusted(cycle))).toBe('DECODE_FAILED');
    expect(decode(encode([1, 2]))).toEqual([1, 2]);
  });

  it('random and mutated bytes give DECODE_FAILED or a value findUnserializable accepts', () => {
    const base = encode({ list: [1, 'two', new Map([[3, new Set([4])]])], error: new Error('e'), at: new Date(0) });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.tuple(fc.nat(base.byteLength - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
            const bytes = Uint8Array.from(base);
            bytes[at] = byte;
            return bytes;
          }),
        ),
        (bytes) => {
          try {
            expect(findUnserializable(decodeUntrusted(bytes))).toBeUndefined();
          } catch (error) {
            expect(error).toBeInstanceOf(SuperstepError);
            expect((error as SuperstepError).code).toBe('DECODE_FAILED');
          }
        },
      ),
      settings(2_000),
    );
  });
});

function thrownCode(thunk: () => unknown): unknown {
  try {
    thunk();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return 'no throw';
}
