/**
 * guarantee 42 and bad input at the public boundary.
 *
 * - Real checkpoints (a run of the looping fan-in graph of fixtures/checkpoints.ts, in a memory store) are
 *   served with their body or one actor snapshot truncated, bit-flipped, overwritten or spliced: `restore()`
 *   either succeeds or refuses with CHECKPOINT_CORRUPT / _VERSION_UNSUPPORTED / _SIGNATURE_MISMATCH /
 *   DECODE_FAILED, and a refused restore changes nothing — the instance runs on exactly as before.
 *   (The decoder alone gets thousands of cases in packages/runtime/src/main/checkpoints/checkpoint-body.test.ts.)
 * - Options out of range and malformed graph definitions are refused with typed errors, leaving nothing
 *   running; answers of the wrong shape are RESPONSE_INVALID and change nothing.
 *
 * CI runs a fixed seed. More: `FUZZ_RUNS=2000 FUZZ_SEED=$RANDOM npx vitest run test/malformed-checkpoints-and-options.test.ts`.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  decode,
  encode,
  executor,
  executorModule,
  type ActorPool,
  type CheckpointMeta,
  type CheckpointRead,
  type CheckpointStore,
  type RunResult,
} from '@superstep/runtime';
import { killChildren, startScript } from './child-process.ts';
import type { Joined } from './fixtures/checkpoints.ts';
import { delegatingStore, rejectionOf, thrownBy, type CodedError } from './helpers.ts';
import { loopGraph } from './checkpoint-graph.ts';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const hitl = executorModule<typeof import('./fixtures/hitl.ts')>(new URL('./fixtures/hitl.ts', import.meta.url));

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const RESTORE_RUNS = FUZZ_RUNS > 0 ? FUZZ_RUNS : 300;

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** A store that serves every checkpoint of `inner` through `tamper` (the bytes as a faulty disk would). */
function tamperedStore(inner: CheckpointStore, tamper: (read: CheckpointRead) => CheckpointRead): CheckpointStore {
  return delegatingStore(inner, {
    load: async (id) => {
      const read = await inner.load(id);
      return read === undefined ? undefined : tamper(read);
    },
  });
}

/** Replaces the body with what `edit` makes of the decoded body record. */
const editBody =
  (edit: (body: Record<string, unknown>) => void) =>
  (read: CheckpointRead): CheckpointRead => {
    const body = decode(read.body) as Record<string, unknown>;
    edit(body);
    return { ...read, body: encode(body) };
  };

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'splice'; readonly at: number; readonly bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = bytes.byteLength === 0 ? 0 : m.at % bytes.byteLength;
  switch (m.kind) {
    case 'flip':
    case 'set': {
      const out = Uint8Array.from(bytes);
      if (out.byteLength > 0) out[at] = m.kind === 'flip' ? (out[at] ?? 0) ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'splice':
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at + m.bytes.length)]);
  }
}

const RESTORE_REFUSALS = [
  'CHECKPOINT_CORRUPT',
  'CHECKPOINT_VERSION_UNSUPPORTED',
  'CHECKPOINT_SIGNATURE_MISMATCH',
  'DECODE_FAILED',
];

describe('guarantee 42: restoring malformed checkpoints', () => {
  let store: CheckpointStore;
  /** Checkpoints 0..12 of one run, and the outputs it yielded. */
  let metas: CheckpointMeta[];
  let outputs: Joined[];
  /** Every test restores this barrier first; a refused restore must leave the instance there. */
  const BASE = 5;
  const base = (): CheckpointMeta => {
    const meta = metas[BASE];
    if (meta === undefined) throw new Error('no base checkpoint');
    return meta;
  };
  /** What a run resumed from the base barrier yields. */
  const afterBase = (): Joined[] => outputs.filter((o) => o.superstep > BASE);

  beforeAll(async () => {
    store = createMemoryStore();
    await using wf = await loopGraph().build({ pool, store, name: 'loop' });
    outputs = (await wf.run({ i: 2 }).result()).outputs as Joined[];
    metas = await store.list({ workflowName: 'loop' });
    expect(metas.map((meta) => meta.superstep)).toEqual(Array.from({ length: 13 }, (_, k) => k));
  });
  afterAll(async () => {
    await store.close();
  });

  /** An instance at the base barrier (built without a store: runs write no checkpoints). */
  async function atBase() {
    const wf = await loopGraph().build({ pool, name: 'loop' });
    await wf.restore(base().id, { store });
    return wf;
  }

  it(
    `guarantee 42: ${RESTORE_RUNS} real checkpoints with their body or a snapshot mutated either restore or are refused with a checkpoint code; a refused restore leaves the instance exactly as it was`,
    async () => {
      await using wf = await atBase();
      const seen = new Map<string, number>();
      const count = (key: string): void => {
        seen.set(key, (seen.get(key) ?? 0) + 1);
      };
      await fc.assert(
        fc.asyncProperty(
          fc.nat(12),
          fc.constantFrom('body', 'snapshot'),
          fc.nat(),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (index, part, which, mutations) => {
            const meta = metas[index];
            if (meta === undefined) throw new Error(`no checkpoint ${index}`);
            const tamper = (read: CheckpointRead): CheckpointRead => {
              const hashes = [...read.blobs.keys()];
              const hash = hashes[which % Math.max(1, hashes.length)];
              const bytes = hash === undefined ? undefined : read.blobs.get(hash);
              if (part === 'body' || hash === undefined || bytes === undefined) {
                return { ...read, body: mutations.reduce(mutate, read.body) };
              }
              return { ...read, blobs: new Map([...read.blobs, [hash, mutations.reduce(mutate, bytes)]]) };
            };
            const refusal = await wf.restore(meta.id, { store: tamperedStore(store, tamper) }).then(
              () => undefined,
              (error: unknown) => error as CodedError,
            );
            if (refusal === undefined) {
              // It restored (the mutation was benign, or hit a payload): whatever it holds runs to an end —
              // a result or a typed error, no crash, no hang — and the base is restored again.
              count('restored');
              const ended = await wf
                .resume({ maxSupersteps: 40 })
                .result()
                .then(
                  () => 'ran',
                  (error: unknown) => `ran into ${String((error as CodedError).code)}`,
                );
              count(ended);
              await wf.restore(base().id, { store });
              return;
            }
            count(String(refusal.code));
            expect(RESTORE_REFUSALS).toContain(refusal.code);
            expect(wf.status).toBe('idle');
            // Nothing was applied: the instance resumes from the base barrier with the base's outputs.
            const resumed: RunResult = await wf.resume().result();
            expect(resumed.outputs).toEqual(afterBase());
            await wf.restore(base().id, { store });
          },
        ),
        { seed: SEED, numRuns: RESTORE_RUNS },
      );
      console.log(`guarantee 42 restore fuzz (seed ${SEED}):`, Object.fromEntries(seen));
      expect(seen.get('CHECKPOINT_CORRUPT')).toBeGreaterThan(0);
    },
    Math.max(120_000, RESTORE_RUNS * 200),
  );

  it('guarantee 42: a body of a future format version is refused with CHECKPOINT_VERSION_UNSUPPORTED; nothing changes', async () => {
    await using wf = await atBase();
    const future = tamperedStore(
      store,
      editBody((body) => {
        body.formatVersion = 3;
      }),
    );
    expect(await rejectionOf(wf.restore(metas[9]?.id ?? '', { store: future }))).toMatchObject({
      code: 'CHECKPOINT_VERSION_UNSUPPORTED',
      details: { formatVersion: 3, supported: [1, 2] },
    });
    expect((await wf.resume().result()).outputs).toEqual(afterBase());
  });

  it('guarantee 42: a truncated actor snapshot is refused with CHECKPOINT_CORRUPT after every thread prepared its part; no thread keeps anything of it', async () => {
    await using wf = await atBase();
    // Checkpoint 9 holds snapshots of actors on both threads; one of them is cut short.
    const truncated = tamperedStore(store, (read) => {
      const [hash, bytes] = [...read.blobs].at(-1) ?? [];
      if (hash === undefined || bytes === undefined) throw new Error('no blob');
      return { ...read, blobs: new Map([...read.blobs, [hash, bytes.subarray(0, 1)]]) };
    });
    expect((await rejectionOf(wf.restore(metas[9]?.id ?? '', { store: truncated }))).code).toBe('CHECKPOINT_CORRUPT');
    expect((await wf.resume().result()).outputs).toEqual(afterBase());
  });

  // Regression guard for a runtime bug (reported): restore checks that snapshot references name known actors,
  // but not that queued messages, fan-in buffers and pending requests do. Such a checkpoint restores, and the
  // resumed run dies with INTERNAL ("executor … is not loaded on this host").
  it('guarantee 42: a checkpoint whose queue names an executor the graph does not have is refused with CHECKPOINT_CORRUPT', async () => {
    await using wf = await atBase();
    const ghost = tamperedStore(
      store,
      editBody((body) => {
        body.queue = [['left', 'ghost', { i: 0, from: 'left', value: 1 }]];
      }),
    );
    const refusal = await wf.restore(metas[9]?.id ?? '', { store: ghost }).then(
      () => undefined,
      (error: unknown) => error as CodedError,
    );
    expect(refusal?.code).toBe('CHECKPOINT_CORRUPT');
    expect((await wf.resume().result()).outputs).toEqual(afterBase());
  });

  // Regression guard for a runtime bug (reported): restore did not check that the bytes it loaded are the ones
  // their key names, so a flipped bit that still decodes became actor state silently. A key ends in the CRC-32
  // of its bytes (format 2; in format 1 it was their SHA-256, tested below).
  it("guarantee 42: a snapshot whose bytes do not match its key's checksum is refused with CHECKPOINT_CORRUPT", async () => {
    await using wf = await atBase();
    const meta = metas[9];
    const read = await store.load(meta?.id ?? '');
    // A different state that decodes fine, served under the original key.
    const [key, original] = [...(read?.blobs ?? [])][0] ?? [];
    if (key === undefined || original === undefined) throw new Error('no blob');
    const forged = encode({ sum: 1_000_000 });
    expect(forged).not.toEqual(original);
    const lying = tamperedStore(store, (r) => ({ ...r, blobs: new Map([...r.blobs, [key, forged]]) }));
    const refusal = await wf.restore(meta?.id ?? '', { store: lying }).then(
      () => undefined,
      (error: unknown) => error as CodedError,
    );
    expect(refusal?.code).toBe('CHECKPOINT_CORRUPT');
    expect(refusal?.message).toContain("does not match its key's checksum");
    // The hosts decoded the forged bytes while the checksums were checked: they were discarded, not applied.
    expect((await wf.resume().result()).outputs).toEqual(afterBase());
  });
  /** Copies checkpoint `meta` into `into` as format 1 wrote it: the same cut, each blob keyed by its SHA-256. */
  async function asFormatOne(meta: CheckpointMeta, into: CheckpointStore): Promise<void> {
    const read = await store.load(meta.id);
    if (read === undefined) throw new Error(`no checkpoint ${meta.id}`);
    const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
    const rekeyed = new Map([...read.blobs].map(([key, bytes]) => [key, sha256(bytes)]));
    const rekey = (key: string): string => rekeyed.get(key) ?? key;
    const rewrite = (body: Record<string, unknown>): Record<string, unknown> => ({
      ...body,
      formatVersion: 1,
      // Format 2 packs the actors as [ids, keys joined]; format 1 had [id, sha256] pairs.
      actors: ((ids: string[], keys: string) => ids.map((id, i) => [id, rekey(keys.slice(i * 64, (i + 1) * 64))]))(
        ...(body.actors as [string[], string]),
      ),
      children: (body.children as [string, Record<string, unknown>][]).map(([id, child]) => [id, rewrite(child)]),
    });
    await into.save({
      meta: { ...read.meta, formatVersion: 1, blobHashes: read.meta.blobHashes.map(rekey) },
      body: encode(rewrite(decode(read.body) as Record<string, unknown>)),
      blobs: [...read.blobs].map(([key, bytes]) => [rekey(key), bytes] as const),
    });
  }

  it('guarantees 24, 42: a checkpoint of format 1 (blobs keyed by SHA-256) restores and runs on, and so do the checkpoints written after it; a format-1 blob that does not match its SHA-256 is refused', async () => {
    const nine = metas[9];
    if (nine === undefined) throw new Error('no checkpoint 9');
    await using old = createMemoryStore();
    await asFormatOne(nine, old);
    {
      await using wf = await loopGraph().build({ pool, name: 'loop' });
      expect(await wf.restore(nine.id, { store: old })).toMatchObject({ formatVersion: 1 });
      // Running on, the restored snapshots get keys of the current format: what follows is format 2 only.
      const resumed = await wf.resume({ store: old }).result();
      expect(resumed.outputs).toEqual(outputs.filter((o) => o.superstep > 9));
    }
    const written = (await old.list()).filter((meta) => meta.id !== nine.id);
    expect(written.map((meta) => [meta.superstep, meta.formatVersion])).toEqual([
      [10, 2],
      [11, 2],
      [12, 2],
    ]);
    {
      await using wf = await loopGraph().build({ pool, name: 'loop' });
      await wf.restore(written[0]?.id ?? '', { store: old });
      expect((await wf.resume().result()).outputs).toEqual(outputs.filter((o) => o.superstep > 10));
    }
    // A format-1 blob is checked against its SHA-256: other bytes under its key are refused.
    await using wf = await atBase();
    const lying = tamperedStore(old, (read) => {
      if (read.meta.formatVersion !== 1) return read;
      const [key] = [...read.blobs.keys()];
      if (key === undefined) throw new Error('no blob');
      return { ...read, blobs: new Map([...read.blobs, [key, encode({ sum: 1_000_000 })]]) };
    });
    expect(await rejectionOf(wf.restore(nine.id, { store: lying }))).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect((await wf.resume().result()).outputs).toEqual(afterBase());
  });
});

describe('bad options are refused with INVALID_OPTION', () => {
  afterEach(() => {
    killChildren();
  });

  it('createPool: threads 0, -1, 1.5, NaN, Infinity, 2000 or a string; eventFlushMs -1 or NaN — refused before any thread starts', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2000, '2']) {
      const error = await rejectionOf(createPool({ threads: threads as number }));
      expect(error, String(threads)).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'threads' } });
    }
    for (const eventFlushMs of [-1, Number.NaN]) {
      const error = await rejectionOf(createPool({ threads: 1, eventFlushMs }));
      expect(error, String(eventFlushMs)).toMatchObject({
        code: 'INVALID_OPTION',
        details: { option: 'eventFlushMs' },
      });
    }
  });

  it('build: maxSupersteps 0 or 1.5, cancelGraceMs -1 or NaN, maxWorkerRestarts -1 or 1.5 — refused, the shared pool unaffected', async () => {
    const cases: [string, Record<string, number>][] = [
      ['options.maxSupersteps', { maxSupersteps: 0 }],
      ['options.maxSupersteps', { maxSupersteps: 1.5 }],
      ['options.cancelGraceMs', { cancelGraceMs: -1 }],
      ['options.cancelGraceMs', { cancelGraceMs: Number.NaN }],
      ['options.maxWorkerRestarts', { maxWorkerRestarts: -1 }],
      ['options.maxWorkerRestarts', { maxWorkerRestarts: 1.5 }],
    ];
    for (const [option, options] of cases) {
      const error = await rejectionOf(new WorkflowBuilder(basic.executor('sink')).build({ pool, ...options }));
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'INVALID_OPTION', details: { option } });
    }
    await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
    expect((await wf.run('still fine').result()).outputs).toEqual(['still fine']);
  });

  // Regression guard for a runtime bug (reported): Workflow.create checks cancelGraceMs and maxWorkerRestarts
  // only after it has started its own pool and loaded the executors, and does not close that pool when the
  // check throws: its threads keep the process alive.
  it('build without a pool: an option refused (cancelGraceMs -1) leaves no thread running — the process exits by itself', async () => {
    const probe = startScript(new URL('./children/probe.ts', import.meta.url), ['bad-option'], { fallbackMs: 20_000 });
    const exit = await probe.exited;
    expect(probe.lines).toContain('outcome {"refused":"INVALID_OPTION"}');
    expect(exit.timedOut, 'the process did not exit by itself: a thread was left running').toBe(false);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  });

  it('run and resume: maxSupersteps 0, onPendingRequests other than auto/wait/end — thrown at the call, the instance left free', async () => {
    await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
    expect(thrownBy(() => wf.run('x', { maxSupersteps: 0 }))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(thrownBy(() => wf.resume({ maxSupersteps: -3 }))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(thrownBy(() => wf.run('x', { onPendingRequests: 'sometimes' as 'wait' }))).toMatchObject({
      code: 'INVALID_OPTION',
      details: { option: 'onPendingRequests' },
    });
    expect(wf.status).toBe('idle');
    expect((await wf.run('x').result()).outputs).toEqual(['x']);
  });

  // Regression guard for a runtime bug (reported): run() reserves the instance, then calls
  // signal.addEventListener; a `signal` that is not an AbortSignal throws a TypeError there and the
  // reservation is never released — every later call gets WORKFLOW_BUSY.
  it('run: a signal that is not an AbortSignal is refused with INVALID_OPTION and the instance is left free', async () => {
    await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
    const error = thrownBy(() => wf.run('x', { signal: 'stop' as unknown as AbortSignal }));
    expect(error).toMatchObject({ code: 'INVALID_OPTION' });
    expect(wf.status).toBe('idle');
  });

  // What the types forbid but JavaScript callers pass: each gets a typed error naming the argument, not a
  // TypeError from inside, and nothing is started or reserved.
  it('options that are not objects, lists that are not arrays and ends that are not references: typed errors', async () => {
    const garbage = [null, 5, 'x', []] as unknown as object[];
    for (const options of garbage) {
      const error = await rejectionOf(createPool(options));
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'options' } });
      const built = await rejectionOf(new WorkflowBuilder(basic.executor('sink')).build(options));
      expect(built, JSON.stringify(options)).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'options' } });
    }
    await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool, store: createMemoryStore() });
    const anything = null as unknown as object;
    expect(thrownBy(() => wf.run('x', anything))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(thrownBy(() => wf.resume(anything))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(await rejectionOf(wf.createCheckpoint(anything))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(await rejectionOf(wf.restore('some-id', anything))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(wf.status).toBe('idle');
    expect((await wf.run('x').result()).outputs).toEqual(['x']);

    const builder = (): WorkflowBuilder => new WorkflowBuilder(basic.executor('forward'));
    const ends = [null, 5, '', {}] as unknown[] as string[];
    for (const end of ends) {
      expect(
        thrownBy(() => new WorkflowBuilder(end as never)),
        JSON.stringify(end),
      ).toMatchObject({
        code: 'INVALID_EXECUTOR_REF',
      });
      expect(
        thrownBy(() => builder().addEdge('forward', end)),
        JSON.stringify(end),
      ).toMatchObject({
        code: 'INVALID_EXECUTOR_REF',
      });
    }
    const notArray = null as unknown as string[];
    expect(thrownBy(() => builder().addFanOut('forward', notArray))).toMatchObject({ details: { option: 'to' } });
    expect(thrownBy(() => builder().addFanIn(notArray, 'forward'))).toMatchObject({ details: { option: 'from' } });
    expect(thrownBy(() => builder().addSwitch('forward', notArray as never))).toMatchObject({
      details: { option: 'cases' },
    });
    expect(thrownBy(() => builder().addSwitch('forward', [{ when: 'yes', to: 'sink' } as never]))).toMatchObject({
      details: { option: 'cases[0].when' },
    });
    expect(
      thrownBy(() => builder().addEdge('forward', basic.executor('sink'), { condition: true as never })),
    ).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'options.condition' } });
    expect(thrownBy(() => basic.executor('sink', anything))).toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('bad graph definitions are refused with typed errors', () => {
  it('malformed executor references, edges to nowhere, duplicate ids and too-small fans: each its code, nothing started', async () => {
    const ref = (id: unknown): CodedError =>
      thrownBy(() => executor(id as string, { module: basic.module, export: 'sink' }));
    for (const id of ['', '$input', undefined, 7]) expect(ref(id).code, String(id)).toBe('INVALID_EXECUTOR_REF');
    expect(thrownBy(() => executorModule('')).code).toBe('INVALID_EXECUTOR_REF');

    const start = (): WorkflowBuilder => new WorkflowBuilder(basic.executor('forward'));
    const refusals: [string, () => Promise<unknown>][] = [
      ['GRAPH_UNKNOWN_EXECUTOR', () => start().addEdge('forward', 'nowhere').build({ pool })],
      ['GRAPH_UNKNOWN_EXECUTOR', () => start().addEdge('nowhere', 'forward').build({ pool })],
      ['GRAPH_MISSING_START', () => new WorkflowBuilder().addExecutor(basic.executor('sink')).build({ pool })],
      ['GRAPH_UNREACHABLE_EXECUTOR', () => start().addExecutor(basic.executor('sink')).build({ pool })],
      [
        'GRAPH_DUPLICATE_EXECUTOR',
        async () =>
          start()
            .addEdge('forward', basic.executor('sink', { id: 'forward' }))
            .build({ pool }),
      ],
      [
        'GRAPH_DUPLICATE_EDGE',
        async () => start().addEdge('forward', basic.executor('sink')).addEdge('forward', 'sink').build({ pool }),
      ],
      ['GRAPH_FAN_TOO_FEW', async () => start().addFanIn(['forward'], basic.executor('sum')).build({ pool })],
    ];
    for (const [code, attempt] of refusals) expect((await rejectionOf(attempt())).code, code).toBe(code);
    // The shared pool took none of it: it still builds and runs.
    await using wf = await start().addEdge('forward', basic.executor('sink')).build({ pool });
    expect((await wf.run('ok').result()).outputs).toEqual(['ok']);
  });

  it('a closed pool or workflow is refused with WORKFLOW_CLOSED', async () => {
    const closed = await createPool({ threads: 1 });
    await closed.close();
    expect((await rejectionOf(new WorkflowBuilder(basic.executor('sink')).build({ pool: closed }))).code).toBe(
      'WORKFLOW_CLOSED',
    );
    const wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
    await wf.close();
    expect(thrownBy(() => wf.run('x')).code).toBe('WORKFLOW_CLOSED');
  });
});

describe('guarantee 20: answers of the wrong shape', () => {
  it('undefined, null, a string, a list, a missing or mistyped field: each RESPONSE_INVALID naming the request; the request stays pending and a right answer is taken', async () => {
    await using wf = await new WorkflowBuilder(hitl.executor('approver')).build({ pool });
    const wrong: unknown[] = [undefined, null, 'yes', [true], {}, { approved: 'yes' }, { approved: 1 }, { ok: true }];
    const run = wf.run({ item: 'crate', requestId: 'crate-1' }, { onPendingRequests: 'wait' });
    const refusals: CodedError[] = [];
    for await (const event of run) {
      if (event.type !== 'request') continue;
      for (const value of wrong) refusals.push(await rejectionOf(run.respond(event.requestId, value)));
      expect(run.status).toBe('waiting-for-answers');
      await run.respond(event.requestId, { approved: true });
    }
    refusals.forEach((error, k) => {
      expect(error, wrong[k] === undefined ? 'undefined' : JSON.stringify(wrong[k])).toMatchObject({
        code: 'RESPONSE_INVALID',
        details: { requestId: 'crate-1', executorId: 'approver' },
      });
    });
    expect(refusals).toHaveLength(wrong.length);
    expect((await run.result()).outputs).toEqual([{ item: 'crate', approved: true, superstep: 2 }]);
  });
});
