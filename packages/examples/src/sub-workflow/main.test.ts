import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, openFileStore, type CheckpointStore } from '@superstep/runtime';
import { documentedDiagram } from '../docs/diagram.ts';
import { publishingWorkflow, reviewAcrossRestore, reviewLive, type Answer } from './main.ts';

const approveAll: Answer = () => ({ approved: true, note: 'ok' });

describe('sub-workflow example', () => {
  it('the review’s request surfaces at the parent with its own id; answering there publishes', async () => {
    const lines: string[] = [];
    const live = await reviewLive({ title: 'T', words: 10 }, approveAll, (line) => lines.push(line));
    expect(live.outputs).toEqual([{ title: 'T', status: 'published', note: 'ok' }]);
    expect(live.requests.map((r) => [r.requestId, r.executorId])).toEqual([['approve:T', 'review']]);
    expect(live.paths).toEqual(['review']);
    expect(lines).toContain('  [review] check done');
  });

  it('a declined review is recorded as rejected', async () => {
    const live = await reviewLive(
      { title: 'Nope', words: 10 },
      () => ({ approved: false }),
      () => undefined,
    );
    expect(live.outputs).toEqual([{ title: 'Nope', status: 'rejected' }]);
  });

  it('draws the parent with the review as a subgraph, as docs/sub-workflows.md shows it', async () => {
    const chart = publishingWorkflow().toMermaid();
    expect(chart).toContain('subgraph n1 ["review (sub-workflow)"]');
    expect(await documentedDiagram('sub-workflows.md', 'sub-workflow')).toBe(chart);
  });

  describe('checkpoint round trip', () => {
    let directory: string;
    let store: CheckpointStore;
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'superstep-sub-workflow-test-'));
      store = await openFileStore({ directory });
    });
    afterEach(async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    });

    it('ends with the question pending, restores the parent (and the child) on a fresh instance, resumes with the answer', async () => {
      const asked: string[] = [];
      const restored = await reviewAcrossRestore(
        { title: 'Later', words: 60 },
        (request) => {
          asked.push(request.requestId);
          return { approved: true };
        },
        store,
        () => undefined,
      );
      expect(restored.pending).toEqual(['approve:Later']);
      expect(asked).toEqual(['approve:Later']);
      expect(restored.outputs).toEqual([{ title: 'Later', status: 'published' }]);
      // The restored checkpoint is the one written at the barrier that made the request.
      expect((await store.load(restored.checkpointId))?.meta.superstep).toBe(2);
    });

    it('works the same with the in-memory store', async () => {
      const restored = await reviewAcrossRestore(
        { title: 'Mem', words: 5 },
        approveAll,
        createMemoryStore(),
        () => undefined,
      );
      expect(restored.outputs).toEqual([{ title: 'Mem', status: 'published', note: 'ok' }]);
    });
  });
});
