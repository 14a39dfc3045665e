import { describe, expect, it } from 'vitest';
import { router, UNROUTED_EVENT } from './router.ts';
import { createTestExecutor } from '@superstep/runtime/testing';
import { invalid, thrown } from './test-helpers.ts';

interface Ticket {
  readonly id: number;
  readonly priority: string;
}

describe('router', () => {
  it('sends each message to the target its field names, else to the default', async () => {
    const actor = createTestExecutor(
      router<Ticket>({ by: 'priority', routes: { high: 'pager', low: 'backlog' }, default: 'triage' }),
    );
    await actor.step([
      { id: 1, priority: 'high' },
      { id: 2, priority: 'low' },
      { id: 3, priority: 'whatever' },
    ]);
    expect(actor.sent.map((s) => [s.message.id, s.to])).toEqual([
      [1, 'pager'],
      [2, 'backlog'],
      [3, 'triage'],
    ]);
  });

  it('takes a key function; keys compare as strings', async () => {
    const actor = createTestExecutor(
      router({ by: (n: number) => n % 2 === 0, routes: { true: 'even', false: 'odd' } }),
    );
    await actor.step([1, 2]);
    expect(actor.sent.map((s) => s.to)).toEqual(['odd', 'even']);
  });

  it('drops a message without a route (and no default) with a custom event, not silently', async () => {
    const actor = createTestExecutor(router<Ticket>({ by: 'priority', routes: { high: 'pager' } }));
    await actor.step([{ id: 1, priority: 'constructor' }]);
    expect(actor.sent).toEqual([]);
    expect(actor.events).toEqual([
      { type: 'custom', executorId: 'executor', superstep: 1, name: UNROUTED_EVENT, data: { key: 'constructor' } },
    ]);
  });

  it('rejects bad options', () => {
    expect(thrown(() => router({ by: 'x', routes: {} }))).toMatchObject(invalid('router', 'routes'));
    expect(thrown(() => router({ by: 'x', routes: { a: '' } }))).toMatchObject(invalid('router', 'routes.a'));
    expect(thrown(() => router({ by: '' as never, routes: { a: 'b' } }))).toMatchObject(invalid('router', 'by'));
  });
});
