/**
 * The map-reduce example's executors: library executors only (`@superstep/executors`), given the per-document
 * functions of text.ts. Worker-safe. The classic steps, with the shuffle partitioned by key:
 *
 *   documents (flatMap: one message per document id, and a FLUSH after each input split's last)
 *     → chunks (batch up to each FLUSH: the input splits, one per thread by default)
 *     → count (flatMap, stateless: every thread reads its chunk's files, counts stems, combines the chunk's
 *       counts and splits them into one part per partition)
 *     → merge-0 … merge-P-1 (reduce, one actor per partition: adds its part of every chunk; once all chunks are
 *       in, sends its partition's summary) — P actors, so the merge is parallel too
 *     → combine (reduce: the partitions' summaries into the corpus's)
 *     → results (collect: the run's output)
 */
import { batch, collect, flatMap, FLUSH, reduce, type FlushMessage } from '@superstep/executors';
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

/** One document to count, with what the reducers need to know to tell when they have everything. */
interface DocRef {
  readonly dir: string;
  readonly id: string;
  readonly chunks: number;
  readonly partitions: number;
  readonly top: number;
}

/** One partition's part of one chunk's counts. */
export interface PartCounts extends PackedCounts {
  readonly partition: number;
  readonly partitions: number;
  readonly documents: number;
  readonly chunks: number;
  readonly top: number;
}

/** One partition's merged counts so far. */
interface Merged {
  counts: Counts;
  documents: number;
  partitions: number;
  top: number;
}

/** A partition's summary, on its way to `combine`. */
interface PartSummary {
  readonly summary: Summary;
  readonly partitions: number;
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
    for (let i = chunk; i < ids.length; i += chunks) messages.push({ dir, id: ids[i] ?? '', chunks, partitions, top });
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
  const { chunks: all, partitions, top } = first;
  return partitionCounts(counts, partitions).map((packed, partition) => ({
    ...packed,
    partition,
    partitions,
    documents: refs.length,
    chunks: all,
    top,
  }));
});

/** Adds its partition's part of every chunk (in place); once all chunks are in, sends the partition's summary. */
export const merge = reduce({
  initial: (): Merged => ({ counts: {}, documents: 0, partitions: 0, top: 0 }),
  step: (acc, part: PartCounts) => {
    mergePacked(acc.counts, part);
    acc.documents += part.documents;
    acc.partitions = part.partitions;
    acc.top = part.top;
    return acc;
  },
  emitWhen: (_acc, seen, part) => seen === part.chunks,
  project: (acc): PartSummary => ({
    summary: summarise(acc.counts, acc.documents, acc.top),
    partitions: acc.partitions,
    top: acc.top,
  }),
});

/** Combines the partitions' summaries once all have arrived. */
export const combine = reduce({
  initial: (): PartSummary[] => [],
  step: (acc, part: PartSummary) => {
    acc.push(part);
    return acc;
  },
  emitWhen: (_acc, seen, part) => seen === part.partitions,
  project: (parts) =>
    combineSummaries(
      parts.map((part) => part.summary),
      parts[0]?.top,
    ),
});

/** The run's output: the corpus's summary. */
export const results = collect();
