/**
 * Guarantees 1–8 (docs/guarantees.md#execution): the execution model — supersteps, the barrier, mailboxes, parallelism, convergence,
 * the superstep limit and handler failure. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId as mainThreadId } from 'node:worker_threads';
import {
  SuperstepError,
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  type ActorPool,
  type CheckpointStore,
  type WorkflowEvent,
} from '@superstep/runtime';
import { createGate, custom, drain, indexOf, ofType, rejectionOf, statuses, thrownBy, type Gate } from './helpers.ts';
import type { HopRecord } from './fixtures/execution.ts';

const exec = executorModule<typeof import('./fixtures/execution.ts')>(
  new URL('./fixtures/execution.ts', import.meta.url),
);
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

/** `superstep.started`/`superstep.completed` events as `['started', 1]`… in stream order. */
function superstepMarks(events: readonly WorkflowEvent[]): [string, number][] {
  const marks: [string, number][] = [];
  for (const event of events) {
    if (event.type === 'superstep.started') marks.push(['started', event.superstep]);
    if (event.type === 'superstep.completed') marks.push(['completed', event.superstep]);
  }
  return marks;
}

/** The marks a run of `k` supersteps must produce: started 1, completed 1, …, completed k. */
function expectedMarks(k: number): [string, number][] {
  return Array.from({ length: k }, (_, i) => [
    ['started', i + 1],
    ['completed', i + 1],
  ]).flat() as [string, number][];
}

describe('execution model', () => {
  let pool: ActorPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  describe('guarantees 1–2: supersteps and delivery', () => {
    it('guarantee 2: the input is a message to the start executor, which runs in superstep 1', async () => {
      await using wf = await new WorkflowBuilder(exec.executor('relay', { id: 'start' })).build({ pool });
      const { events, result } = await drain(wf.run({ sentIn: 0, hops: 0 }));
      expect(result?.outputs).toEqual([{ id: 'start', sentIn: 0, receivedIn: 1 }]);
      const invoked = ofType(events, 'executor.invoked');
      expect(invoked).toEqual([{ type: 'executor.invoked', executorId: 'start', superstep: 1, messages: 1 }]);
    });

    it('guarantee 1: a message sent in superstep N is handled in N+1, never in N, along every path', async () => {
      // A diamond: a → {b, c} in superstep 2, and b → c again, so c also has work in superstep 2 when
      // b's message is sent; that message must wait for superstep 3.
      await using wf = await new WorkflowBuilder(exec.executor('relay', { id: 'a' }))
        .addFanOut('a', [exec.executor('relay', { id: 'b' }), exec.executor('relay', { id: 'c' })])
        .addEdge('b', 'c')
        .addEdge('c', exec.executor('relay', { id: 'end' }))
        .build({ pool });
      const { events, result } = await drain(wf.run({ sentIn: 0, hops: 2 }));
      const hops = (result?.outputs ?? []) as HopRecord[];
      for (const hop of hops) expect(hop.receivedIn).toBe(hop.sentIn + 1);
      const handled = hops.map((hop) => `${hop.id}@${hop.receivedIn}`).sort();
      expect(handled).toEqual(['a@1', 'b@2', 'c@2', 'c@3', 'end@3'].sort());
      // c had exactly one message in superstep 2 (a's) and one in 3 (b's), not two in 2.
      const cInvocations = ofType(events, 'executor.invoked').filter((e) => e.executorId === 'c');
      expect(cInvocations.map((e) => [e.superstep, e.messages])).toEqual([
        [2, 1],
        [3, 1],
      ]);
      // Every output event is stamped with the superstep its handler ran in.
      for (const output of ofType(events, 'output')) {
        expect(output.superstep).toBe((output.data as HopRecord).receivedIn);
      }
      expect(result?.supersteps).toBe(3);
    });

    it('guarantee 1: a self-loop advances one superstep per message', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool });
      const { events, result } = await drain(wf.run(3));
      expect(custom(events, 'tick').map((e) => [e.data, e.superstep])).toEqual([
        [3, 1],
        [2, 2],
        [1, 3],
        [0, 4],
      ]);
      expect(result?.outputs).toEqual(['done']);
    });
  });

  describe('guarantees 3–4: the barrier and superstep events', () => {
    it('guarantee 3: every executor.completed and output of superstep N comes before superstep.completed N, and N+1 starts after', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('split'))
        .addFanOut('split', [exec.executor('spin', { id: 'right' }), basic.executor('forward', { id: 'left' })])
        .addEdge('left', exec.executor('audit'))
        .build({ pool });
      const { events, result } = await drain(wf.run([5_000, 10_000, 20_000, 40_000]));
      expect(result?.status).toBe('idle');
      const completedAt = new Map(ofType(events, 'superstep.completed').map((e) => [e.superstep, events.indexOf(e)]));
      const startedAt = new Map(ofType(events, 'superstep.started').map((e) => [e.superstep, events.indexOf(e)]));
      expect([...completedAt.keys()]).toEqual([1, 2, 3]);
      for (const [index, event] of events.entries()) {
        if (event.type === 'executor.invoked' || event.type === 'executor.completed' || event.type === 'output') {
          const start = startedAt.get(event.superstep) ?? Number.NaN;
          const end = completedAt.get(event.superstep) ?? Number.NaN;
          expect(index, `${event.type} of superstep ${event.superstep}`).toBeGreaterThan(start);
          expect(index, `${event.type} of superstep ${event.superstep}`).toBeLessThan(end);
        }
      }
      // Each superstep starts only after the previous one completed.
      for (const [n, start] of startedAt) if (n > 1) expect(start).toBeGreaterThan(completedAt.get(n - 1) ?? Infinity);
      // Four stateless invocations in superstep 2, all completed before its barrier; audit's outputs in 3.
      expect(
        ofType(events, 'executor.completed').filter((e) => e.executorId === 'right' && e.superstep === 2),
      ).toHaveLength(4);
      expect(ofType(events, 'output').map((e) => [e.executorId, e.superstep])).toEqual([
        ...Array.from({ length: 4 }, () => ['right', 2]),
        ...Array.from({ length: 4 }, () => ['audit', 3]),
      ]);
    });

    it('guarantee 3: with a store, each barrier commits, then writes its checkpoint, then emits superstep.completed', async () => {
      await using wf = await new WorkflowBuilder(exec.executor('relay', { id: 'a' }))
        .addEdge('a', exec.executor('relay', { id: 'b' }))
        .build({ pool, store: createMemoryStore() });
      const { events, result } = await drain(wf.run({ sentIn: 0, hops: 1 }));
      expect(result?.supersteps).toBe(2);
      for (const n of [1, 2]) {
        const output = indexOf(events, (e) => e.type === 'output' && e.superstep === n);
        const saved = indexOf(events, (e) => e.type === 'checkpoint.saved' && e.superstep === n);
        const completed = indexOf(events, (e) => e.type === 'superstep.completed' && e.superstep === n);
        expect(output, `superstep ${n}`).toBeLessThan(saved);
        expect(saved, `superstep ${n}`).toBeLessThan(completed);
      }
      expect(ofType(events, 'checkpoint.saved').map((e) => e.superstep)).toEqual([0, 1, 2]);
    });

    it('guarantee 3: the checkpoint of barrier N is written while N+1 runs, and its events still come first', async () => {
      // The save of checkpoint 1 finishes only once a handler of superstep 2 has started: without the
      // overlap this run could not finish (the fallback then makes the store see `timeout`, not `arrived`).
      await using gate = await createGate({ openAt: 1 });
      const memory = createMemoryStore();
      const sawWhileSaving: string[] = [];
      const store: CheckpointStore = {
        ...memory,
        async save(write) {
          if (write.meta.superstep === 1) {
            sawWhileSaving.push(await arrival(gate));
          }
          await memory.save(write);
        },
      };
      const ev = executorModule<typeof import('./fixtures/events.ts')>(
        new URL('./fixtures/events.ts', import.meta.url),
      );
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'a' }))
        .addEdge('a', ev.executor('emitThenWait', { id: 'b' }))
        .build({ pool, store });
      const { events, result } = await drain(wf.run({ port: gate.port }));
      expect(result?.outputs).toEqual(['go']);
      expect(sawWhileSaving).toEqual(['arrived']);
      // Held back while checkpoint 1 was written: b's event of superstep 2 still follows completed 1.
      const at = (predicate: (event: WorkflowEvent) => boolean): number => indexOf(events, predicate);
      const order = [
        at((e) => e.type === 'checkpoint.saved' && e.superstep === 1),
        at((e) => e.type === 'superstep.completed' && e.superstep === 1),
        at((e) => e.type === 'superstep.started' && e.superstep === 2),
        at((e) => e.type === 'custom' && e.name === 'ready'),
        at((e) => e.type === 'output'),
        at((e) => e.type === 'checkpoint.saved' && e.superstep === 2),
        at((e) => e.type === 'superstep.completed' && e.superstep === 2),
      ];
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(superstepMarks(events)).toEqual(expectedMarks(2));
    });

    it('guarantee 4: k supersteps emit exactly k started/completed pairs numbered 1..k', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool });
      for (const k of [1, 2, 5]) {
        const { events, result } = await drain(wf.run(k - 1));
        expect(result?.supersteps).toBe(k);
        expect(superstepMarks(events)).toEqual(expectedMarks(k));
      }
    });

    it('guarantee 4: a run starts with run.started and status running, before superstep 1', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
      const run = wf.run('x');
      const { events } = await drain(run);
      expect(events.slice(0, 3)).toMatchObject([
        { type: 'run.started', runId: run.runId },
        { type: 'status', status: 'running' },
        { type: 'superstep.started', superstep: 1 },
      ]);
    });
  });

  describe('guarantee 5: mailboxes and parallelism', () => {
    it('guarantee 5: messages from one source to one target arrive in send order, one at a time', async () => {
      const count = 25;
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addFanOut('start', [exec.executor('burst', { id: 'p' }), exec.executor('burst', { id: 'q' })])
        .addEdge('p', exec.executor('mailbox'))
        .addEdge('q', 'mailbox')
        .build({ pool });
      const { events, result } = await drain(wf.run({ count }));
      const handled = (result?.outputs ?? []) as {
        from: string;
        seq: number;
        overlapped: boolean;
        superstep: number;
      }[];
      expect(handled).toHaveLength(2 * count);
      const sequence = Array.from({ length: count }, (_, i) => i);
      expect(handled.filter((m) => m.from === 'p').map((m) => m.seq)).toEqual(sequence);
      expect(handled.filter((m) => m.from === 'q').map((m) => m.seq)).toEqual(sequence);
      // The handler yields to the event loop mid-message; no second message entered meanwhile.
      expect(handled.filter((m) => m.overlapped)).toEqual([]);
      expect(new Set(handled.map((m) => m.superstep))).toEqual(new Set([3]));
      // One actor, one mailbox: a single invocation drained all 2 × count messages.
      expect(ofType(events, 'executor.invoked').filter((e) => e.executorId === 'mailbox')).toEqual([
        { type: 'executor.invoked', executorId: 'mailbox', superstep: 3, messages: 2 * count },
      ]);
    });

    it('guarantee 5: stateless CPU-bound messages are spread over both worker threads', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('split'))
        .addEdge('split', exec.executor('spin'))
        .build({ pool });
      // 8 messages, and as few as there are threads (each thread's first slice comes before any second).
      for (const count of [8, 2]) {
        const { result } = await drain(wf.run(Array.from({ length: count }, () => 200_000)));
        const threads = new Set(((result?.outputs ?? []) as { threadId: number }[]).map((o) => o.threadId));
        expect(threads.size, `${count} messages`).toBe(2);
        expect(threads.has(mainThreadId)).toBe(false);
      }
    });

    it('guarantee 5: stateless messages go to whichever thread is free: one held by a long handler does not hold back half the work', async () => {
      // 64 stateless messages; the first holds its thread until 33 of the other 63 have left their marker.
      // Dealt out round-robin up front, the held thread's 31 others would wait behind it and only the
      // other thread's 32 could run: the hold would time out. Handed out as threads free up, the other
      // thread takes what the held one has not started.
      const dir = mkdtempSync(join(tmpdir(), 'superstep-marks-'));
      try {
        const tasks = Array.from({ length: 64 }, (_, index) => ({
          dir,
          id: `m${index}`,
          waitFor: index === 0 ? 33 : 0,
        }));
        await using wf = await new WorkflowBuilder(exec.executor('scatterMarks'))
          .addEdge('scatterMarks', exec.executor('holdOrMark'))
          .build({ pool });
        const { result } = await drain(wf.run(tasks));
        expect(result?.outputs).toEqual(['go']);
        expect(readdirSync(dir)).toHaveLength(63);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('guarantee 5: different actors run at the same time, on different worker threads', async () => {
      // The gate answers `go` only once both actors are waiting at it: neither can finish unless the
      // other is in flight at the same moment.
      await using gate = await createGate({ openAt: 2 });
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addFanOut('start', [exec.executor('meet', { id: 'meet-a' }), exec.executor('meet', { id: 'meet-b' })])
        .build({ pool });
      const { result } = await drain(wf.run({ port: gate.port }));
      const met = (result?.outputs ?? []) as { id: string; threadId: number; answer: string }[];
      expect(met.map((m) => m.answer)).toEqual(['go', 'go']);
      const threads = new Set(met.map((m) => m.threadId));
      expect(threads.size).toBe(2);
      expect(threads.has(mainThreadId)).toBe(false);
    });
  });

  describe('guarantees 6–7: convergence and the superstep limit', () => {
    it('guarantee 6: a run converges (status idle) once no message is queued, even if the last message went nowhere', async () => {
      await using wf = await new WorkflowBuilder(exec.executor('relay', { id: 'a' }))
        .addEdge('a', exec.executor('relay', { id: 'b' }))
        .build({ pool });
      // b sends a message with no outgoing edge: it is reported, and does not keep the run going.
      const { events, result } = await drain(wf.run({ sentIn: 0, hops: 2 }));
      expect(result?.status).toBe('idle');
      expect(result?.supersteps).toBe(2);
      expect(ofType(events, 'warning').map((w) => [w.code, w.details.source])).toEqual([['MESSAGE_UNROUTED', 'b']]);
      expect(statuses(events)).toEqual(['running', 'idle']);
      // (Pending human requests not keeping a run alive belongs to the human-in-the-loop work.)
    });

    it('guarantee 7: the default limit is 100 supersteps; converging exactly at it succeeds', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool });
      const { events, result } = await drain(wf.run(99));
      expect(result?.supersteps).toBe(100);
      expect(result?.outputs).toEqual(['done']);
      expect(ofType(events, 'superstep.completed')).toHaveLength(100);
    });

    it('guarantee 7: a run still queued after the default 100 supersteps fails with CONVERGENCE_LIMIT', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool });
      const { events, error } = await drain(wf.run(100));
      expect(error).toBeInstanceOf(SuperstepError);
      expect(error).toMatchObject({ code: 'CONVERGENCE_LIMIT', details: { maxSupersteps: 100 } });
      expect(ofType(events, 'superstep.completed')).toHaveLength(100);
      expect(ofType(events, 'superstep.started')).toHaveLength(100);
      expect(ofType(events, 'run.failed').map((e) => e.error.code)).toEqual(['CONVERGENCE_LIMIT']);
      expect(ofType(events, 'executor.failed')).toEqual([]);
      expect(statuses(events)).toEqual(['running', 'failed']);
    });

    it('guarantee 7: a per-run limit overrides the workflow limit, and the limit is per run', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool, maxSupersteps: 5 });
      // Workflow limit 5: exactly 5 succeeds, 6 fails.
      expect((await wf.run(4).result()).supersteps).toBe(5);
      expect(await rejectionOf(wf.run(5).result())).toMatchObject({
        code: 'CONVERGENCE_LIMIT',
        details: { maxSupersteps: 5 },
      });
      // Per-run limit 3: exactly 3 succeeds, 4 fails.
      expect((await wf.run(2, { maxSupersteps: 3 }).result()).supersteps).toBe(3);
      expect(await rejectionOf(wf.run(3, { maxSupersteps: 3 }).result())).toMatchObject({
        code: 'CONVERGENCE_LIMIT',
        details: { maxSupersteps: 3 },
      });
      // A per-run limit above the workflow's is allowed, and does not stick to later runs.
      expect((await wf.run(7, { maxSupersteps: 8 }).result()).supersteps).toBe(8);
      expect(await rejectionOf(wf.run(7).result())).toMatchObject({
        code: 'CONVERGENCE_LIMIT',
        details: { maxSupersteps: 5 },
      });
    });

    it('guarantee 7: a limit that is not an integer ≥ 1 is refused with INVALID_OPTION', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
      expect(thrownBy(() => wf.run('x', { maxSupersteps: 0 })).code).toBe('INVALID_OPTION');
      expect(thrownBy(() => wf.run('x', { maxSupersteps: 1.5 })).code).toBe('INVALID_OPTION');
      expect(
        await rejectionOf(new WorkflowBuilder(basic.executor('sink')).build({ pool, maxSupersteps: -1 })),
      ).toMatchObject({
        code: 'INVALID_OPTION',
      });
      // The refused calls left the instance free.
      expect((await wf.run('x').result()).outputs).toEqual(['x']);
    });
  });

  describe('guarantee 8: handler failure', () => {
    it('guarantee 8: executor.failed, then run.failed, then status failed; result() rejects with EXECUTOR_FAILED, its message led by executor id and superstep, carrying the original code and message', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addEdge('start', exec.executor('bomb'))
        .build({ pool });
      const { events, error } = await drain(wf.run({ n: 1 }));
      const tail = events.slice(-3);
      expect(tail.map((e) => e.type)).toEqual(['executor.failed', 'run.failed', 'status']);
      const [failed, runFailed, status] = tail as [WorkflowEvent, WorkflowEvent, WorkflowEvent];
      expect(failed).toMatchObject({
        type: 'executor.failed',
        executorId: 'bomb',
        superstep: 2,
        error: {
          code: 'EXECUTOR_FAILED',
          message: 'executor "bomb" failed in superstep 2: bomb bomb went off on {"n":1}',
          original: { code: 'E_BOOM' },
        },
      });
      expect(runFailed).toMatchObject({
        type: 'run.failed',
        error: { code: 'EXECUTOR_FAILED', original: { code: 'E_BOOM' } },
      });
      expect(status).toMatchObject({ type: 'status', status: 'failed' });
      expect(ofType(events, 'executor.failed')).toHaveLength(1);
      expect(ofType(events, 'run.failed')).toHaveLength(1);
      expect(statuses(events)).toEqual(['running', 'failed']);
      // The failed superstep never completes.
      expect(ofType(events, 'superstep.completed').map((e) => e.superstep)).toEqual([1]);

      expect(error).toBeInstanceOf(SuperstepError);
      const failure = error as SuperstepError;
      expect(failure.code).toBe('EXECUTOR_FAILED');
      // The message leads with who failed and when; the thrown error is kept whole as `original`.
      expect(failure.message).toBe('executor "bomb" failed in superstep 2: bomb bomb went off on {"n":1}');
      expect(failure.original?.code).toBe('E_BOOM');
      expect(failure.original?.message).toBe('bomb bomb went off on {"n":1}');
      expect(failure.details).toMatchObject({ executorId: 'bomb', superstep: 2 });
    });

    it('guarantee 8: the failed superstep commits nothing — no state, shared state, output or message of it survives', async () => {
      await using wf = await new WorkflowBuilder(exec.executor('ledger'))
        .addEdge('ledger', exec.executor('audit'))
        .build({ pool });
      const first = await wf.run({ op: 'add', n: 5 }).result();
      expect(first.outputs).toEqual([{ total: 5 }, { audit: 'audit', superstep: 2, message: { total: 5 } }]);

      // ledger writes state 15, shared 15, an output and a message, then throws.
      const failed = await drain(wf.run({ op: 'add', n: 10, fail: true }));
      expect(failed.error).toMatchObject({ code: 'EXECUTOR_FAILED', original: { code: 'E_LEDGER' } });
      expect(ofType(failed.events, 'output')).toEqual([]);
      expect(ofType(failed.events, 'executor.invoked').map((e) => e.executorId)).toEqual(['ledger']);

      // A later run on the same instance sees the barrier before the failed superstep.
      const report = await drain(wf.run({ op: 'report' }));
      expect(report.result?.outputs).toEqual([{ report: 5, shared: 5 }]);
      // The failed run's message to audit was never delivered (report sends nothing, so audit never runs).
      expect(ofType(report.events, 'executor.invoked').map((e) => e.executorId)).toEqual(['ledger']);
    });

    it('guarantee 8: when one actor fails, the writes of the actors that succeeded in that superstep are discarded too', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addFanOut('start', [exec.executor('ledger', { id: 'book' }), exec.executor('bomb')], {
          // `report` goes to the ledger alone; `add` to both, so the bomb fails the superstep.
          select: (message, targets) => ((message as { op?: string }).op === 'report' ? ['book'] : targets),
        })
        .addEdge('book', exec.executor('audit'))
        .build({ pool });
      const failed = await drain(wf.run({ op: 'add', n: 7 }));
      expect(failed.error).toMatchObject({ code: 'EXECUTOR_FAILED', details: { executorId: 'bomb' } });
      expect(ofType(failed.events, 'output')).toEqual([]);
      expect(ofType(failed.events, 'executor.failed').map((e) => [e.executorId, e.superstep])).toEqual([['bomb', 2]]);
      expect(ofType(failed.events, 'executor.invoked').some((e) => e.executorId === 'audit')).toBe(false);

      const report = await drain(wf.run({ op: 'report' }));
      expect(report.result?.outputs).toEqual([{ report: 0, shared: null }]);
      expect(ofType(report.events, 'executor.invoked').some((e) => e.executorId === 'audit')).toBe(false);
    });

    it('guarantee 8: the instance is reusable after a failed run', async () => {
      await using wf = await new WorkflowBuilder(exec.executor('ledger'))
        .addEdge('ledger', exec.executor('audit'))
        .build({ pool });
      await rejectionOf(wf.run({ op: 'add', n: 1, fail: true }).result());
      expect(wf.status).toBe('idle');
      const { result } = await drain(wf.run({ op: 'add', n: 2 }));
      expect(result?.outputs).toEqual([{ total: 2 }, { audit: 'audit', superstep: 2, message: { total: 2 } }]);
    });
  });

  it('guarantees 3, 8: the failing superstep emits no superstep.completed and no output, while earlier supersteps keep theirs', async () => {
    await using wf = await new WorkflowBuilder(exec.executor('relay', { id: 'a' }))
      .addEdge('a', exec.executor('relay', { id: 'b' }))
      .addEdge('b', exec.executor('bomb'))
      .build({ pool });
    const { events } = await drain(wf.run({ sentIn: 0, hops: 5 }));
    expect(superstepMarks(events)).toEqual([...expectedMarks(2), ['started', 3]]);
    expect(ofType(events, 'output').map((e) => e.superstep)).toEqual([1, 2]);
    const failedAt = indexOf(events, (e) => e.type === 'executor.failed');
    expect(failedAt).toBeGreaterThan(indexOf(events, (e) => e.type === 'superstep.started' && e.superstep === 3));
  });
});

/** Resolves `arrived` once a handler has reached the gate, or `timeout` if none does within 5 s. */
async function arrival(gate: Gate): Promise<string> {
  for (let waited = 0; waited < 5_000; waited += 5) {
    if (gate.arrivals.length > 0) return 'arrived';
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return 'timeout';
}
