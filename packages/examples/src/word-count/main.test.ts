import { describe, expect, it } from 'vitest';
import { countWords } from './main.ts';

describe('README example (word count)', () => {
  it('counts the words of every paragraph across threads', async () => {
    const text = ['alpha beta gamma', 'delta epsilon', 'zeta', 'eta theta iota kappa'].join('\n\n');
    expect(await countWords(text, 2)).toBe(10);
  });
});
