/**
 * The worker side of map-reduce-corpus's hand-written peer (../corpus-handwritten.ts): the map-reduce example's
 * per-document work (../../map-reduce/text.ts), driven by plain messages. Two requests, one at a time:
 * - `count`: read and count one chunk's documents, combine them, split the counts into one packed part per
 *   partition, and reply with the parts (their count arrays transferred);
 * - `merge`: add up one partition's part of every chunk and reply with that partition's summary.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { readDocument } from '../../map-reduce/corpus.ts';
import {
  mergeCounts,
  countStems,
  mergePacked,
  partitionCounts,
  summarise,
  type Counts,
  type PackedCounts,
  type Summary,
} from '../../map-reduce/text.ts';

if (isMainThread || parentPort === null)
  throw new Error('bench/worker/corpus-host.ts runs only inside a worker thread');
const port = parentPort;

export interface CountRequest {
  readonly kind: 'count';
  readonly dir: string;
  readonly ids: readonly string[];
  readonly partitions: number;
}

export interface MergeRequest {
  readonly kind: 'merge';
  /** This partition's part of every chunk. */
  readonly parts: readonly PackedCounts[];
  readonly documents: number;
  readonly top: number;
}

export type CorpusRequest = CountRequest | MergeRequest;

/** The reply to a `count`: one part per partition, in partition order. */
export type CountReply = readonly PackedCounts[];

/** The reply to a `merge`. */
export type MergeReply = Summary;

function count(request: CountRequest): void {
  const counts: Counts = {};
  for (const id of request.ids) mergeCounts(counts, countStems(readDocument(request.dir, id)));
  const parts: CountReply = partitionCounts(counts, request.partitions);
  port.postMessage(
    parts,
    parts.map((part) => part.counts.buffer as ArrayBuffer),
  );
}

function merge(request: MergeRequest): void {
  const counts: Counts = {};
  for (const part of request.parts) mergePacked(counts, part);
  const reply: MergeReply = summarise(counts, request.documents, request.top);
  port.postMessage(reply);
}

port.on('message', (request: CorpusRequest) => {
  if (request.kind === 'count') count(request);
  else merge(request);
});
port.postMessage('ready');
