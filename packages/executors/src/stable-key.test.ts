import { describe, expect, it } from 'vitest';
import { stableKey } from './stable-key.ts';

describe('stableKey', () => {
  it('ignores object key order, at any depth', () => {
    expect(stableKey({ b: 2, a: { d: [1, { f: 1, e: 2 }], c: 3 } })).toBe(
      stableKey({ a: { c: 3, d: [1, { e: 2, f: 1 }] }, b: 2 }),
    );
  });

  it('tells apart values that JSON would confuse', () => {
    const keys = [
      1,
      '1',
      [1],
      null,
      undefined,
      1n,
      -0,
      0,
      new Date(0),
      new Map([[1, 2]]),
      new Set([1]),
      new Uint8Array([1]),
    ];
    expect(new Set(keys.map(stableKey)).size).toBe(keys.length);
  });

  it('ignores Map and Set insertion order', () => {
    expect(stableKey(new Set([1, 2]))).toBe(stableKey(new Set([2, 1])));
    expect(
      stableKey(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toBe(
      stableKey(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    );
  });
});
