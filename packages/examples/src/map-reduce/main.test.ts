import { describe, expect, it } from 'vitest';
import { documentedDiagram } from '../docs/diagram.ts';
import { findBrownCorpus } from './corpus.ts';
import { compare, countSequentially, mapReduceWorkflow } from './main.ts';

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

  it('deals the documents into any number of chunks, more than threads and of unequal sizes', async () => {
    const corpus = await findBrownCorpus();
    const subset = { dir: corpus.dir, ids: corpus.ids.slice(0, 61) };
    await using workflow = await mapReduceWorkflow(2).build({ threads: 2 });
    const { outputs } = await workflow.run({ ...subset, splits: 3, partitions: 2, top: 5 }).result();
    expect(outputs).toEqual([countSequentially(subset, 5)]);
  });

  it('draws the pipeline that docs/executors.md shows', async () => {
    expect(await documentedDiagram('executors.md', 'map-reduce')).toBe(mapReduceWorkflow().toMermaid());
  });
});
