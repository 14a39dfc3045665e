/**
 * The LangGraph.js peer of `map-reduce-corpus` (docs/benchmarks.md): the map-reduce example's word count as
 * LangGraph's documentation shows map-reduce — a conditional edge from `START` returns one
 * `Send('count', chunk)` per chunk (the same chunks as the other systems), every `count` node appends its
 * chunk's counts through a reducer channel, and a `merge` node (reached by a plain edge from `count`) adds them
 * up and summarises. The per-document work is the example's (../map-reduce/text.ts).
 *
 * LangGraph runs every node on the main thread, so there is nothing to gain from partitioning the merge; the
 * counts stay plain objects (no packing: they never cross a thread).
 */
import { Annotation, END, START, Send, StateGraph } from '@langchain/langgraph';
import { readDocument } from '../map-reduce/corpus.ts';
import { countStems, mergeCounts, summarise, type Counts, type Summary } from '../map-reduce/text.ts';
import { dealChunks, type WordCountJob } from './corpus-handwritten.ts';
import { invokeQuietly } from './langgraph.ts';

const CorpusState = Annotation.Root({
  dir: Annotation<string>,
  chunks: Annotation<string[][]>,
  documents: Annotation<number>,
  top: Annotation<number>,
  /** Every `count` node's chunk counts; the reducer concatenates the writes of one step. */
  counted: Annotation<Counts[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
  summary: Annotation<Summary>,
});

/** What one `Send` carries to a `count` node. */
interface ChunkTask {
  readonly dir: string;
  readonly ids: readonly string[];
}

/** A compiled word-count graph: `run(job)` counts the job's documents in `chunks` chunks and returns the summary. */
export function buildLangGraphWordCount(chunks: number): { run(job: WordCountJob): Promise<Summary> } {
  const graph = new StateGraph(CorpusState)
    .addNode('count', (task: ChunkTask) => {
      const counts: Counts = {};
      for (const id of task.ids) mergeCounts(counts, countStems(readDocument(task.dir, id)));
      return { counted: [counts] };
    })
    .addNode('merge', (state: typeof CorpusState.State) => {
      const counts: Counts = {};
      for (const part of state.counted) mergeCounts(counts, part);
      return { summary: summarise(counts, state.documents, state.top) };
    })
    .addConditionalEdges(START, (state: typeof CorpusState.State) =>
      state.chunks.map((ids) => new Send('count', { dir: state.dir, ids })),
    )
    .addEdge('count', 'merge')
    .addEdge('merge', END)
    .compile();
  return {
    async run(job) {
      const input = { dir: job.dir, chunks: dealChunks(job.ids, chunks), documents: job.ids.length, top: job.top };
      const result = await invokeQuietly(() => graph.invoke(input));
      return result.summary;
    },
  };
}
