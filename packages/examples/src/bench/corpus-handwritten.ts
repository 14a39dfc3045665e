/**
 * The hand-written peer of `map-reduce-corpus` (docs/benchmarks.md): the map-reduce example's split, count and
 * merge over plain `node:worker_threads`, written as one would without a runtime — not the runtime. The same
 * chunks (the documents dealt like cards into one chunk per thread), the same per-document work
 * (../map-reduce/text.ts, in ./worker/corpus-host.ts), the same partitioned shuffle:
 *
 * 1. every worker counts one chunk and replies with its counts split into one packed part per partition;
 * 2. worker p merges partition p's part of every chunk and replies with the partition's summary (the main
 *    thread only forwards the parts: structured clone, the count arrays transferred);
 * 3. the main thread combines the partitions' summaries.
 */
import { Worker } from 'node:worker_threads';
import { combineSummaries, type PackedCounts, type Summary } from '../map-reduce/text.ts';
import type { CorpusRequest, CountReply, MergeReply } from './worker/corpus-host.ts';

const ENTRY = new URL('./worker/corpus-entry.mjs', import.meta.url);

/** What one run counts: the corpus's directory, its documents' ids, and how many top stems to keep. */
export interface WordCountJob {
  readonly dir: string;
  readonly ids: readonly string[];
  readonly top: number;
}

/** Deals `ids` into `chunks` chunks like cards: chunk c gets ids c, c + chunks, … (as the example's `documents`). */
export function dealChunks(ids: readonly string[], chunks: number): string[][] {
  const dealt: string[][] = Array.from({ length: Math.min(Math.max(1, chunks), ids.length) }, () => []);
  ids.forEach((id, index) => dealt[index % dealt.length]?.push(id));
  return dealt;
}

/** One worker with at most one request in flight. */
class CorpusWorker {
  private pending: { resolve: (value: unknown) => void; reject: (error: unknown) => void } | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (value: unknown) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(value);
    });
    worker.on('error', (error: unknown) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(error);
    });
  }

  /** Resolves with the worker's next message ('ready' after start-up, else the reply to `request`). */
  ask(request?: CorpusRequest, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      if (request !== undefined) this.worker.postMessage(request, transfer);
    });
  }
}

export class HandwrittenWordCount {
  private constructor(private readonly workers: readonly CorpusWorker[]) {}

  /** Starts `threads` workers and waits until each has loaded its host. */
  static async start(threads: number): Promise<HandwrittenWordCount> {
    const workers = Array.from({ length: threads }, () => new CorpusWorker(new Worker(ENTRY)));
    try {
      await Promise.all(workers.map((worker) => worker.ask()));
    } catch (error) {
      await Promise.allSettled(workers.map(({ worker }) => worker.terminate()));
      throw error;
    }
    return new HandwrittenWordCount(workers);
  }

  /** Counts the job's documents: one chunk and one partition per worker. */
  async run(job: WordCountJob): Promise<Summary> {
    const chunks = dealChunks(job.ids, this.workers.length);
    const partitions = this.workers.length;
    const counted = (await Promise.all(
      chunks.map((ids, index) => this.worker(index).ask({ kind: 'count', dir: job.dir, ids, partitions })),
    )) as CountReply[];
    const summaries = (await Promise.all(
      this.workers.map((worker, partition) => {
        const parts = counted.map((chunk) => chunk[partition]).filter((part) => part !== undefined);
        return worker.ask(
          { kind: 'merge', parts, documents: job.ids.length, top: job.top },
          parts.map((part: PackedCounts) => part.counts.buffer as ArrayBuffer),
        );
      }),
    )) as MergeReply[];
    return combineSummaries(summaries, job.top);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }

  private worker(index: number): CorpusWorker {
    const worker = this.workers[index];
    if (worker === undefined) throw new RangeError(`no worker ${index}`);
    return worker;
  }
}
