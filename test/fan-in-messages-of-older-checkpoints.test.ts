/**
 * Guarantee 24 for checkpoints written by earlier versions: before fan-in sources travelled as a list, a queued
 * fan-in list message was checkpointed under its label alone (`left+right`). Restored, its target must still
 * read the fan-in's sources in `ctx.sources`, not one source named after the label.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  decode,
  encode,
  executorModule,
  type ActorPool,
} from '@superstep/runtime';

const graph = executorModule<typeof import('./fixtures/graph.ts')>(new URL('./fixtures/graph.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** each ─fan-out▶ left, right ─fan-in▶ senders: the fan-in's list message is queued at barrier 2. */
function fanInGraph(): WorkflowBuilder {
  return new WorkflowBuilder(graph.executor('each'))
    .addFanOut('each', [graph.executor('stamp', { id: 'left' }), graph.executor('stamp', { id: 'right' })])
    .addFanIn(['left', 'right'], graph.executor('senders'));
}

type QueueEntry = [string, string, unknown, string[]?];

describe('fan-in messages queued in checkpoints of earlier versions', () => {
  it('guarantee 24: a fan-in list message checkpointed under its label alone restores with the fan-in’s sources', async () => {
    await using store = createMemoryStore();
    await using older = createMemoryStore();
    {
      await using wf = await fanInGraph().build({ pool, name: 'fan-in' });
      const { runId, outputs } = await wf.run(['p'], { store }).result();
      expect(outputs).toEqual([{ source: 'left+right', sources: ['left', 'right'], frozen: true }]);
      const barrier = (await store.list({ runId })).find((meta) => meta.superstep === 2);
      const read = barrier === undefined ? undefined : await store.load(barrier.id);
      if (read === undefined) throw new Error('no checkpoint of barrier 2');
      // As an earlier version wrote it: [label, target, payload], without the sources.
      const body = decode(read.body) as { queue: QueueEntry[] };
      expect(body.queue).toEqual([['left+right', 'senders', expect.any(Array), ['left', 'right']]]);
      const queue = body.queue.map(([source, target, payload]) => [source, target, payload]);
      await older.save({ meta: read.meta, body: encode({ ...body, queue }), blobs: [...read.blobs] });
    }
    const [meta] = await older.list();
    if (meta === undefined) throw new Error('the older checkpoint was not saved');
    await using restored = await fanInGraph().build({ pool, name: 'fan-in' });
    await restored.restore(meta.id, { store: older });
    const { outputs } = await restored.resume().result();
    expect(outputs).toEqual([{ source: 'left+right', sources: ['left', 'right'], frozen: true }]);
  });
});
