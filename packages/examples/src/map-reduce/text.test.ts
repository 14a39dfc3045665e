import { describe, expect, it } from 'vitest';
import {
  combineSummaries,
  countStems,
  mergeCounts,
  mergePacked,
  normaliseWord,
  packCounts,
  partitionCounts,
  partitionOf,
  summarise,
  type Counts,
} from './text.ts';

describe('text', () => {
  it('normalises words: lower case, accents dropped, letters only', () => {
    expect(normaliseWord("Naïve's")).toBe('naives');
    expect(normaliseWord('ÉCOLE')).toBe('ecole');
    expect(normaliseWord('1961')).toBe('');
  });

  it('counts stems of a tagged Brown text, skipping punctuation, stop words and tags', () => {
    expect(countStems('The/at jury/nn further/rbr said/vbd ./. ``/`` juries/nns')).toEqual({ juri: 2, said: 1 });
  });

  it('merges counts as objects or packed alike', () => {
    const part = { a: 1, b: 2 };
    expect(mergeCounts({ a: 1 }, part)).toEqual({ a: 2, b: 2 });
    expect(packCounts(part)).toEqual({ stems: 'a\nb', counts: new Uint32Array([1, 2]) });
    expect(mergePacked({ a: 1 }, packCounts(part))).toEqual({ a: 2, b: 2 });
    expect(mergePacked({ a: 1 }, packCounts({}))).toEqual({ a: 1 });
  });

  it('summarises with a stable order for ties', () => {
    expect(summarise({ b: 2, a: 2, c: 5 }, 1, 2)).toEqual({
      documents: 1,
      tokens: 9,
      distinct: 3,
      top: [
        ['c', 5],
        ['a', 2],
      ],
    });
  });

  it('partitions stems the same way everywhere; the partitions’ summaries combine into the whole’s', () => {
    const counts: Counts = {};
    for (let i = 0; i < 200; i++) counts[`stem${i}`] = (i * 7919) % 31;
    expect(partitionOf('stem1', 3)).toBe(partitionOf('stem1', 3));
    const parts = partitionCounts(counts, 3);
    expect(parts.reduce((sum, part) => sum + part.counts.length, 0)).toBe(200);
    const summaries = parts.map((part) => summarise(mergePacked({}, part), 4, 10));
    expect(combineSummaries(summaries, 10)).toEqual(summarise(counts, 4, 10));
  });
});
