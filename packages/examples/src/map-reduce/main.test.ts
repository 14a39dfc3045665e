import { describe, expect, it } from 'vitest';
import { documentedDiagram } from '../docs/diagram.ts';
import { findBrownCorpus } from './corpus.ts';
import { compare, mapReduceWorkflow } from './main.ts';

describe('map-reduce example', () => {
  it('counts the same stems on the worker threads as the plain loop does (first 120 documents)', async () => {
    const corpus = await findBrownCorpus();
    expect(corpus.ids).toHaveLength(500);
    const c = await compare({ dir: corpus.dir, ids: corpus.ids.slice(0, 120) }, { threads: 2, top: 10 });
    expect(c.parallel).toEqual(c.sequential);
    expect(c.parallel.documents).toBe(120);
    expect(c.parallel.top).toHaveLength(10);
    expect(c.parallel.tokens).toBeGreaterThan(100_000);
    // documents, chunks, count, merge-0/merge-1, combine, results: one superstep each.
    expect(c.supersteps).toBe(6);
  });

  it('draws the pipeline that docs/executors.md shows', async () => {
    expect(await documentedDiagram('executors.md', 'map-reduce')).toBe(mapReduceWorkflow().toMermaid());
  });
});
