import { describe, expect, it } from 'vitest';
import { filter } from './filter.ts';
import { flatMap } from './flat-map.ts';
import { map } from './map.ts';
import { createTestExecutor } from '@superstep/runtime/testing';

describe('map', () => {
  it('is stateless and sends fn(message) for each message', async () => {
    const square = map((n: number) => n * n);
    expect(square.stateless).toBe(true);
    const actor = createTestExecutor(square);
    await actor.step([1, 2, 3]);
    expect(actor.messages).toEqual([1, 4, 9]);
  });

  it('awaits an async fn and sends nothing for undefined', async () => {
    const actor = createTestExecutor(map((n: number) => Promise.resolve(n % 2 === 0 ? `even ${n}` : undefined)));
    await actor.step([1, 2, 3, 4]);
    expect(actor.messages).toEqual(['even 2', 'even 4']);
  });

  it('gives fn the sender and superstep, and can yield outputs instead of sending', async () => {
    const actor = createTestExecutor(
      map((n: number, info) => `${info.source}@${info.superstep}:${n}`, { emit: 'output' }),
    );
    await actor.step([7], { source: 'numbers' });
    expect(actor.messages).toEqual([]);
    expect(actor.outputs).toEqual(['numbers@1:7']);
  });

  it('passes timeoutMs and retry on to the definition', () => {
    const definition = map((n: number) => n, { timeoutMs: 50, retry: { attempts: 3 } });
    expect(definition.timeoutMs).toBe(50);
    expect(definition.retry?.attempts).toBe(3);
  });
});

describe('flatMap', () => {
  it('sends every item of the returned iterable, in order', async () => {
    const actor = createTestExecutor(flatMap((text: string) => text.split(' ')));
    await actor.step(['a b', 'c']);
    expect(actor.messages).toEqual(['a', 'b', 'c']);
  });

  it('accepts generators and async fns', async () => {
    const actor = createTestExecutor(
      flatMap((n: number) =>
        Promise.resolve(
          (function* () {
            for (let i = 0; i < n; i++) yield i;
          })(),
        ),
      ),
    );
    await actor.step([3]);
    expect(actor.messages).toEqual([0, 1, 2]);
  });
});

describe('filter', () => {
  it('passes on the messages the predicate accepts', async () => {
    const actor = createTestExecutor(filter((n: number) => n > 1));
    await actor.step([1, 2, 3]);
    expect(actor.messages).toEqual([2, 3]);
  });

  it('narrows the output type with a type guard', async () => {
    const definition = filter((value: string | number): value is number => typeof value === 'number');
    const actor = createTestExecutor(definition);
    await actor.step(['a', 1, 'b', 2]);
    const numbers: readonly number[] = actor.messages;
    expect(numbers).toEqual([1, 2]);
  });
});
