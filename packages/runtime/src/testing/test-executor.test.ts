import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { defineExecutor, type ExecutorContext } from '../shared/executor-definition.ts';
import { createTestExecutor } from './test-executor.ts';

/** What `promise` rejected with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; message?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; message?: unknown };
  }
  throw new Error('expected a rejection');
}

const approval: StandardSchemaV1<unknown, { approved: boolean }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof (value as { approved?: unknown } | null)?.approved === 'boolean'
        ? { value: value as { approved: boolean } }
        : { issues: [{ message: 'approved must be a boolean', path: ['approved'] }] },
  },
};

describe('createTestExecutor: the runtime’s own context and commit cycle, in process', () => {
  it('commits state at the barrier deep-frozen like a host, typed arrays included (left unfrozen, not a throw)', async () => {
    const samples = defineExecutor<number, never, { readonly list: readonly number[]; readonly raw: Float64Array }>({
      initialState: () => ({ list: [], raw: new Float64Array(0) }),
      handle(n, ctx) {
        ctx.setState({ list: [...ctx.state.list, n], raw: Float64Array.from([...ctx.state.raw, n]) });
      },
    });
    const actor = createTestExecutor(samples);
    await actor.step([1, 2]);
    expect(actor.state.list).toEqual([1, 2]);
    expect(Array.from(actor.state.raw)).toEqual([1, 2]);
    expect(Object.isFrozen(actor.state)).toBe(true);
    expect(Object.isFrozen(actor.state.list)).toBe(true);
    expect(actor.state.raw).toBeInstanceOf(Float64Array);
  });

  it('refuses a call on a context after its handler settled (CONTEXT_CLOSED) and reports LATE_CONTEXT_CALL', async () => {
    let kept: ExecutorContext<undefined, string> | undefined;
    const leaky = defineExecutor<string, string>({
      handle(_message, ctx) {
        kept = ctx;
      },
    });
    const actor = createTestExecutor(leaky, { executorId: 'leaky' });
    await actor.handle('x');
    expect(() => kept?.send('late')).toThrow(expect.objectContaining({ code: 'CONTEXT_CLOSED' }) as Error);
    actor.barrier();
    expect(actor.sent).toEqual([]);
    await actor.handle('y'); // held warnings are reported with the next call, as a host reports them
    expect(actor.events).toEqual([
      {
        type: 'warning',
        code: 'LATE_CONTEXT_CALL',
        message: 'executor "leaky" called ctx.send() after its handler of superstep 1 settled; ignored',
        superstep: 2,
        details: { executorId: 'leaky', superstep: 1, call: 'send' },
      },
    ]);
  });

  it('gives a fan-in’s sources as ctx.sources and their label as ctx.source; a plain message has [source]', async () => {
    const seen: [string, readonly string[]][] = [];
    const senders = defineExecutor({
      stateless: true,
      handle(_message, ctx) {
        seen.push([ctx.source, ctx.sources]);
      },
    });
    const actor = createTestExecutor(senders);
    await actor.handle([1, 2], { sources: ['a+b', 'c'] });
    await actor.handle(3);
    await actor.handle(4, { source: 'upstream' });
    expect(seen).toEqual([
      ['a+b+c', ['a+b', 'c']],
      ['$input', ['$input']],
      ['upstream', ['upstream']],
    ]);
  });

  it('rolls the superstep back when a handler fails and rejects with the error a run fails with', async () => {
    const picky = defineExecutor<number, number, number>({
      initialState: () => 0,
      handle(n, ctx) {
        ctx.setState(ctx.state + n);
        ctx.send(n);
        if (n < 0) throw new Error(`negative: ${n}`);
      },
    });
    const actor = createTestExecutor(picky);
    await actor.handle(5);
    const error = await rejection(actor.handle(-1));
    expect(error).toMatchObject({ code: 'EXECUTOR_FAILED', message: 'negative: -1' });
    actor.barrier();
    expect(actor.state).toBe(0);
    expect(actor.sent).toEqual([]);
  });

  it('checks values with the codec as a run does (SERIALIZATION_FAILED) and refuses reserved event names', async () => {
    const bad = defineExecutor<string>({
      handle(kind, ctx) {
        if (kind === 'function') ctx.send(() => 1);
        else ctx.emit('output');
      },
    });
    const actor = createTestExecutor(bad);
    expect(await rejection(actor.handle('function'))).toMatchObject({ code: 'SERIALIZATION_FAILED' });
    expect(await rejection(actor.handle('event'))).toMatchObject({ code: 'EVENT_NAME_RESERVED' });
  });

  it('hands the handler a codec copy of the message, as a host gets it, and refuses one the codec cannot carry', async () => {
    const mutator = defineExecutor<{ items: number[] }, number>({
      stateless: true,
      handle(message, ctx) {
        message.items.push(99);
        ctx.send(message.items.length);
      },
    });
    const actor = createTestExecutor(mutator);
    const message = { items: [1] };
    await actor.step([message]);
    expect(message).toEqual({ items: [1] });
    expect(actor.messages).toEqual([2]);
    expect(await rejection(actor.handle({ items: [], extra: () => 1 } as never))).toMatchObject({
      code: 'SERIALIZATION_FAILED',
    });
  });

  it('keeps only the successful attempt’s effects under a retry policy', async () => {
    let attempts = 0;
    const flaky = defineExecutor<string, string>({
      retry: { attempts: 3, initialDelayMs: 1, sleep: () => Promise.resolve() },
      handle(message, ctx) {
        attempts += 1;
        ctx.send(`${message}#${attempts}`);
        if (attempts < 2) throw new Error('transient');
      },
    });
    const actor = createTestExecutor(flaky);
    await actor.step(['m']);
    expect(actor.messages).toEqual(['m#2']);
  });

  it('records sends, outputs, events, requests and shared writes; answers go to onResponse after the schema check', async () => {
    const asker = defineExecutor<string, string, undefined, string, { approved: boolean }>({
      responseSchema: approval,
      handle(message, ctx) {
        ctx.send(message, { to: 'next' });
        ctx.yieldOutput(`out:${message}`);
        ctx.emit('progress', { message });
        ctx.shared.set('last', message);
        ctx.request({ question: message }, { requestId: 'q1' });
      },
      onResponse(response, ctx) {
        ctx.yieldOutput(`${response.requestId}:${String(response.value.approved)}`);
      },
    });
    const actor = createTestExecutor(asker, { executorId: 'asker', superstep: 3, shared: { seed: 1 } });
    await actor.step(['hello']);
    expect(actor.sent).toEqual([{ message: 'hello', to: 'next', superstep: 3 }]);
    expect(actor.outputs).toEqual(['out:hello']);
    expect(actor.events).toEqual([
      { type: 'custom', executorId: 'asker', superstep: 3, name: 'progress', data: { message: 'hello' } },
    ]);
    expect(actor.requests).toEqual([{ requestId: 'q1', data: { question: 'hello' }, superstep: 3 }]);
    expect(Object.fromEntries(actor.shared)).toEqual({ seed: 1, last: 'hello' });
    expect(await rejection(actor.respond('q1', { approved: 'yes' } as never))).toMatchObject({
      code: 'RESPONSE_INVALID',
    });
    expect(await rejection(actor.respond('q2', { approved: true }))).toMatchObject({ code: 'REQUEST_UNKNOWN' });
    await actor.respond('q1', { approved: true });
    actor.barrier();
    expect(actor.outputs).toEqual(['out:hello', 'q1:true']);
    expect(actor.requests).toEqual([]);
  });

  it('aborts ctx.signal on cancel, and refuses bad options with INVALID_OPTION', async () => {
    let aborted: boolean | undefined;
    const watcher = defineExecutor<string>({
      stateless: true,
      handle(_message, ctx) {
        aborted = ctx.signal.aborted;
      },
    });
    const actor = createTestExecutor(watcher);
    actor.cancel('stop');
    await actor.handle('x');
    expect(aborted).toBe(true);
    expect(() => createTestExecutor(watcher, { executorId: '$x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    );
    expect(() => createTestExecutor({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error);
    expect(await rejection(actor.handle('x', { source: 'a', sources: ['a'] }))).toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});
