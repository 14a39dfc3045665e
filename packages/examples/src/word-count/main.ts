// The README's example: counts the words of a text, paragraph by paragraph, on every thread.
import { WorkflowBuilder, executorModule } from '@superstep/runtime';
import { parseExampleArgs } from '../cli.ts';

/** Runs the README example on `text`; resolves to the word count. */
export async function countWords(text: string, threads = 4): Promise<number> {
  const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
  await using workflow = await new WorkflowBuilder(mod.executor('split'))
    .addEdge('split', mod.executor('count'))
    .addEdge('count', mod.executor('total'))
    .build({ threads });

  const run = workflow.run(text);
  for await (const event of run) {
    if (event.type === 'superstep.completed') console.log('barrier', event.superstep);
  }
  const { outputs } = await run.result();
  return outputs.at(-1) as number;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseExampleArgs('example:word-count', {
    text: { type: 'string', description: 'the text to count; "\n" parts paragraphs (default: a short sample)' },
    threads: { type: 'string', default: '2', description: 'worker threads' },
  });
  const text = args.text?.replaceAll('\\n', '\n') ?? 'one two three\n\nfour five\n\nsix';
  console.log('words:', await countWords(text, Number(args.threads)));
}
