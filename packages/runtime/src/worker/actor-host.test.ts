/**
 * The actor host on its own, in a worker thread: cooperative aborts and their order against batches.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

describe('actor host: cooperative abort (guarantee 38)', () => {
  it('an abort that overtakes its batch still reaches that batch, and never a later run', async () => {
    const worker = new Worker(new URL('./fixtures/abort-order.mjs', import.meta.url));
    try {
      const [outputs] = (await once(worker, 'message')) as [string[]];
      expect(outputs).toEqual([
        'run 1, superstep 1: aborted (cancelled)',
        'run 2, superstep 1: running',
        'run 2, superstep 2: running',
        'run 2, superstep 3: aborted (stop)',
      ]);
    } finally {
      await worker.terminate();
    }
  });
});
