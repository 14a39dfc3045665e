/**
 * Every runnable script of the examples package, as `pnpm --filter @superstep/examples run <script>` names
 * it, with the one line that describes it. `--help` of each script starts with that line, and the
 * `examples` script lists them all (a test checks both against package.json).
 */
export const EXAMPLES = {
  main: 'The main job: a Mandelbrot image rendered in tiles on every thread, then on the main thread to compare.',
  bench: 'The benchmarks: superstep side by side with piscina, LangGraph.js and raw worker_threads; prints ratios.',
  'example:word-count': "The README's example: counts the words of a text, paragraph by paragraph, on every thread.",
  'example:map-reduce':
    'Map-reduce over the Brown Corpus: word stems counted on every thread, compared with one thread.',
  'example:order-pipeline': 'An order pipeline: validate, price, fan out to stock and fraud checks, join, and report.',
  'example:hosted': 'A workflow hosted over HTTP: conversations that ask an operator, checkpointed to SQLite.',
  'example:crash-resume':
    'Crash and resume: a run killed mid-way carries on from its last checkpoint in a new process.',
  'example:approval': 'Terminal approval: an executor asks a question, answered at the terminal, then the run goes on.',
  'example:background': 'A background run answered over HTTP: requests listed and answered with curl while it runs.',
  'example:sub-workflow': 'A sub-workflow with approval: a review workflow as one node of a publishing workflow.',
} as const;

export type ExampleScript = keyof typeof EXAMPLES;
