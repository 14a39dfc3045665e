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
  'example:order-pipeline':
    'An order stream through the executor library: de-duplicate, filter, enrich, route by priority, join.',
  'example:hosted':
    'One workflow instance behind an HTTP server, serving many conversations, each checkpointed to SQLite.',
  'example:crash-resume':
    'Crash and resume: kill it at any moment, even after the human answered; start it again, it carries on.',
  'example:approval':
    'Approval in the terminal: actors keep crunching numbers while one asks a person whether to publish.',
  'example:background':
    'A background run answered over HTTP: an expense-claim batch whose large claims wait for a person.',
  'example:sub-workflow':
    'Sub-workflows: each article goes through a review sub-workflow in which a person approves it.',
  'example:distributed':
    "The main job's fan-out on two superstep-host processes over NATS; prints who did how much, checks the result.",
} as const;

export type ExampleScript = keyof typeof EXAMPLES;
