/**
 * The floor of `message-throughput` (docs/benchmarks.md): the same messages, packed with msgpackr and transferred
 * raw, along the same path as in the runtime, where the source is an actor in a worker and the main thread
 * routes — hand-written over `worker_threads`, not the runtime:
 *
 * 1. worker 0 (the source) makes the M messages and sends them to the main thread as one buffer;
 * 2. the main thread decodes them and sends each worker one buffer with the messages of its sinks (sink k
 *    lives on worker k mod threads, round-robin as the runtime places actors);
 * 3. every worker decodes its batch, counts the messages and acknowledges with the count.
 */
import { pack, unpack } from 'msgpackr';
import { Worker } from 'node:worker_threads';
import type { Addressed, EmitRequest } from './worker/throughput-host.ts';

const ENTRY = new URL('./worker/throughput-entry.mjs', import.meta.url);

export class ThroughputFloor {
  /** Resolves the request in flight on each worker. */
  private readonly replies: ((value: unknown) => void)[];

  private constructor(private readonly workers: readonly Worker[]) {
    this.replies = workers.map(() => () => undefined);
    workers.forEach((worker, index) => {
      worker.on('message', (value: unknown) => {
        this.replies[index]?.(value);
      });
    });
  }

  /** Starts `threads` workers and waits until each has loaded its host. */
  static async start(threads: number): Promise<ThroughputFloor> {
    const workers = Array.from({ length: threads }, () => new Worker(ENTRY));
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('error', reject);
              worker.once('message', () => {
                worker.off('error', reject);
                resolve();
              });
            }),
        ),
      );
    } catch (error) {
      await Promise.allSettled(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new ThroughputFloor(workers);
  }

  /** One run: `messages` messages from the source to `sinks` sinks. Returns how many the sinks handled. */
  async run(messages: number, sinks: number): Promise<number> {
    const request: EmitRequest = { messages, sinks };
    const outbox = unpack((await this.ask(0, request)) as Uint8Array) as Addressed[];
    const threads = this.workers.length;
    const batches: Addressed[][] = this.workers.map(() => []);
    for (const addressed of outbox) batches[addressed[0] % threads]?.push(addressed);
    const counts = await Promise.all(
      batches.map((batch, index) => {
        // pack() returns a view into msgpackr's shared scratch buffer: copy before transferring.
        const bytes = new Uint8Array(pack(batch));
        return this.ask(index, bytes, [bytes.buffer]);
      }),
    );
    return counts.reduce((sum: number, count) => sum + (count as number), 0);
  }

  private ask(index: number, value: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
    return new Promise((resolve) => {
      this.replies[index] = resolve;
      this.workers[index]?.postMessage(value, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
