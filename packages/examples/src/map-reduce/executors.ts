/**
 * The map-reduce example's executors: library executors (`@superstep/executors`) given the per-document functions
 * of text.ts, and two gathering executors for the reduce side. Worker-safe. The classic steps, with the shuffle
 * partitioned by key:
 *
 *   documents (flatMap: one message per document id, and a FLUSH after each input split's last)
 *     → chunks (batch up to each FLUSH: the input splits, one per thread by default)
 *     → count (flatMap, stateless: every thread reads its chunk's files, counts stems, combines the chunk's
 *       counts and splits them into one part per partition)
 *     → merge-0 … merge-P-1 (gather, one actor per partition: gets its part of every chunk in one call, adds
 *       them up, sends its partition's summary) — P actors, so the merge is parallel too
 *     → combine (gather: the partitions' summaries into the corpus's)
 *     → results (collect: the run's output)
 */
import { batch, collect, flatMap, FLUSH, type FlushMessage } from '@superstep/executors';
import { defineExecutor } from '@superstep/runtime/executor';
import { readDocument } from './corpus.ts';
import {
  combineSummaries,
  countStems,
  mergeCounts,
  mergePacked,
  partitionCounts,
  summarise,
  type Counts,
  type PackedCounts,
  type Summary,
} from './text.ts';

/**
 * The run's input: where the corpus is, which documents to count, in how many chunks, into how many
 * partitions, the top how many.
 */
export interface CorpusJob {
  readonly dir: string;
  readonly ids: readonly string[];
  /**
   * Into how many chunks (input splits) the documents are dealt (default: `partitions`); use the number of
   * threads. The documents are all about the same size, so equal chunks are balanced already, and each extra
   * chunk costs: a stem found in k chunks is partitioned, packed, shipped and merged k times (the corpus in 20
   * chunks: 111,000 counts for its 30,000 stems; in 2: 42,000).
   */
  readonly splits?: number;
  /** How many `merge-<i>` reducers the workflow has. */
  readonly partitions: number;
  readonly top: number;
}

/** One document to count, with how to split its counts and how many stems the summary keeps. */
interface DocRef {
  readonly dir: string;
  readonly id: string;
  readonly partitions: number;
  readonly top: number;
}

/** One partition's part of one chunk's counts. */
export interface PartCounts extends PackedCounts {
  readonly partition: number;
  readonly documents: number;
  readonly top: number;
}

/** A partition's summary, on its way to `combine`. */
interface PartSummary {
  readonly summary: Summary;
  readonly top: number;
}

/**
 * One message per document, dealt into `splits` chunks like cards (chunk c gets documents c, c + splits, …, so
 * every chunk has its share of each part of the corpus), each chunk's followed by a FLUSH.
 */
export const documents = flatMap((job: CorpusJob): (DocRef | FlushMessage)[] => {
  const { dir, ids, partitions, top } = job;
  const chunks = Math.min(Math.max(1, job.splits ?? partitions), ids.length);
  const messages: (DocRef | FlushMessage)[] = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let i = chunk; i < ids.length; i += chunks) messages.push({ dir, id: ids[i] ?? '', partitions, top });
    messages.push(FLUSH);
  }
  return messages;
});

/** Groups document references into chunks: each FLUSH emits the references held since the one before. */
export const chunks = batch<DocRef>({ size: Infinity });

/** Reads and counts one chunk's documents (the CPU work), combines them, and splits the counts by partition. */
export const count = flatMap((refs: DocRef[]): PartCounts[] => {
  const first = refs[0];
  if (first === undefined) return [];
  const counts: Counts = {};
  for (const ref of refs) mergeCounts(counts, countStems(readDocument(ref.dir, ref.id)));
  const { partitions, top } = first;
  return partitionCounts(counts, partitions).map((packed, partition) => ({
    ...packed,
    partition,
    documents: refs.length,
    top,
  }));
});

/**
 * Gathers its partition's part of every chunk — all sent in the same superstep, handed over in one call, so
 * nobody counts the chunks — adds them up and sends the partition's summary.
 */
export const merge = defineExecutor<PartCounts, PartSummary>({
  gather: true,
  handle(parts, ctx) {
    const counts: Counts = {};
    let documents = 0;
    for (const part of parts) {
      mergePacked(counts, part);
      documents += part.documents;
    }
    const top = parts[0]?.top ?? 0;
    ctx.send({ summary: summarise(counts, documents, top), top });
  },
});

/** Gathers the partitions' summaries (all sent in the same superstep) into the corpus's. */
export const combine = defineExecutor<PartSummary, Summary>({
  gather: true,
  handle(parts, ctx) {
    ctx.send(
      combineSummaries(
        parts.map((part) => part.summary),
        parts[0]?.top,
      ),
    );
  },
});

/** The run's output: the corpus's summary. */
export const results = collect();
