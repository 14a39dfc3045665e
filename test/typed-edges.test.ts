/**
 * Edges checked by the compiler: each kind of edge compiles only when the messages its source sends fit
 * what its target takes, a mismatch is an `EdgeTypeMismatch` naming both, untyped ends stay unchecked, and
 * the outputs the executors yield type `result().outputs`. The type assertions are checked by the
 * workspace typecheck (`tsc`, which covers test/); a wrong one fails it. The last test runs the typed
 * workflow on real worker threads.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  WorkflowBuilder,
  executor,
  executorModule,
  subWorkflow,
  type ExecutorRef,
  type RunResult,
  type Workflow,
} from '@superstep/runtime';
import type { ExecutorContext, RequestResponse } from '@superstep/runtime/executor';
import type { approve } from './fixtures/typed-edges.ts';

const typed = executorModule<typeof import('./fixtures/typed-edges.ts')>(
  new URL('./fixtures/typed-edges.ts', import.meta.url),
);
const words = typed.executor('words');
const count = typed.executor('count');
const report = typed.executor('report');
const sum = typed.executor('sum');

/**
 * Type-checks `source` as if it were a file in test/, with the workspace's compiler options, and returns
 * its errors as the compiler prints them.
 */
function compilerErrors(source: string): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.json');
  const file = join(root, 'test', 'edge-mismatch.snippet.ts');
  const host = ts.createCompilerHost(config.options);
  const real = { getSourceFile: host.getSourceFile.bind(host), fileExists: host.fileExists.bind(host) };
  host.fileExists = (name) => name === file || real.fileExists(name);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : real.getSourceFile(name, version, ...rest);
  const program = ts.createProgram([file], config.options, host);
  const diagnostics = program.getSemanticDiagnostics(program.getSourceFile(file));
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
}

describe('typed edges: addEdge', () => {
  it('compiles when the source sends what the target takes, by reference or by a known id', () => {
    const builder = new WorkflowBuilder(words).addEdge(words, count).addEdge('count', report);
    expect(builder.toGraph().edges).toHaveLength(2);
  });

  it('refuses a source whose messages the target does not take, naming both', () => {
    // @ts-expect-error -- words sends readonly string[], report takes number
    new WorkflowBuilder(words).addEdge(words, report);
    // @ts-expect-error -- the same edge with the source given by an id seen earlier in the chain
    new WorkflowBuilder(words).addEdge('words', report);
    // @ts-expect-error -- and with the target given by an id seen earlier in the chain
    new WorkflowBuilder(words).addEdge(count, report).addEdge(words, 'report');
  });

  it("the compiler's message names both executors and both message types", () => {
    const message = compilerErrors(`
      import { WorkflowBuilder, executorModule } from '@superstep/runtime';
      const typed = executorModule<typeof import('./fixtures/typed-edges.ts')>('./fixtures/typed-edges.ts');
      new WorkflowBuilder(typed.executor('words')).addEdge('words', typed.executor('report'));
    `);
    expect(message).toContain('EdgeTypeMismatch<"words", readonly string[], "report", number>');
  });

  it('types the condition with the messages the source sends', () => {
    new WorkflowBuilder(words).addEdge(words, count, {
      condition: (list) => {
        expectTypeOf(list).toEqualTypeOf<readonly string[]>();
        return list.length > 0;
      },
    });
  });

  it('does not check untyped ends: an unknown sender, an unknown taker, or an id not seen yet', () => {
    const untyped = executor('loose', {
      module: new URL('./fixtures/typed-edges.ts', import.meta.url),
      export: 'anything',
    });
    new WorkflowBuilder(words)
      .addEdge(typed.executor('anything'), report)
      .addEdge(words, typed.executor('anything', { id: 'sink' }))
      .addEdge(untyped, count)
      .addEdge(words, untyped)
      .addEdge('later', report)
      .addExecutor(typed.executor('words', { id: 'later' }));
  });

  it('lets a source whose messages are a union route a member to each target', () => {
    // route sends string | number (by target); shout takes string, double takes number.
    new WorkflowBuilder(typed.executor('route'))
      .addEdge('route', typed.executor('shout'))
      .addEdge('route', typed.executor('double'));
    // @ts-expect-error -- no member of string | number is a readonly string[]
    new WorkflowBuilder(typed.executor('route')).addEdge('route', count);
  });
});

describe('typed edges: fan-out, switch, fan-in', () => {
  it('fan-out: every target must take what the source sends', () => {
    new WorkflowBuilder(count).addFanOut(count, [report, typed.executor('double')]);
    // @ts-expect-error -- words takes string, not the number count sends
    new WorkflowBuilder(count).addFanOut(count, [report, typed.executor('words')]);
    const doubles = ['a', 'b'].map((id) => typed.executor('double', { id }));
    new WorkflowBuilder(count).addFanOut('count', [...doubles, report]);
    // @ts-expect-error -- a list built elsewhere is checked too
    new WorkflowBuilder(count).addFanOut('count', [...doubles, words]);
  });

  it('switch: every case target and the default must take what the source sends; `when` sees it', () => {
    const double = typed.executor('double');
    new WorkflowBuilder(count).addSwitch(
      count,
      [
        {
          when: (n) => {
            expectTypeOf(n).toEqualTypeOf<number>();
            return n > 10;
          },
          to: report,
        },
      ],
      double,
    );
    // @ts-expect-error -- a case target that takes a list
    new WorkflowBuilder(count).addSwitch(count, [{ when: (n) => n > 10, to: sum }]);
    // @ts-expect-error -- a default that takes a string
    new WorkflowBuilder(count).addSwitch(count, [{ when: (n) => n > 10, to: report }], words);
  });

  it('fan-in: the target must take one list of every source’s messages', () => {
    const a = typed.executor('double', { id: 'a' });
    const b = typed.executor('double', { id: 'b' });
    new WorkflowBuilder(count).addFanOut(count, [a, b]).addFanIn([a, b], sum);
    new WorkflowBuilder(count).addFanOut(count, [a, b]).addFanIn(['a', 'b'], sum);
    // @ts-expect-error -- report takes one number, not a list
    new WorkflowBuilder(count).addFanOut(count, [a, b]).addFanIn([a, b], report);
    // @ts-expect-error -- the list would hold readonly string[] and number; sum takes numbers only
    new WorkflowBuilder(words).addEdge(words, count).addFanIn([words, count], sum);
  });
});

describe('typed edges: sub-workflow nodes', () => {
  it("a node made from a builder takes the child's input and sends the child's outputs", () => {
    const child = new WorkflowBuilder(count).addEdge(count, report);
    const node = subWorkflow('child', child);
    expectTypeOf(node).toEqualTypeOf<ExecutorRef<readonly string[], string, never, 'child'>>();
    new WorkflowBuilder(words).addEdge(words, node).addEdge(node, typed.executor('shout'));
    // @ts-expect-error -- the child takes a list of words, not the number count sends
    new WorkflowBuilder(count).addEdge(count, subWorkflow('child', child));
  });
});

describe('typed workflows: input, outputs and answers', () => {
  const builder = new WorkflowBuilder(words)
    .addEdge(words, count)
    .addFanOut(count, [typed.executor('double', { id: 'left' }), typed.executor('double', { id: 'right' })])
    .addFanIn(['left', 'right'], sum)
    .addEdge(count, report);

  it('types run() input and result().outputs from the executors', () => {
    type Built = Awaited<ReturnType<typeof builder.build>>;
    expectTypeOf<Built>().toEqualTypeOf<Workflow<string, { readonly sum: number } | string>>();
    expectTypeOf<Awaited<ReturnType<ReturnType<Built['run']>['result']>>>().toEqualTypeOf<
      RunResult<{ readonly sum: number } | string>
    >();
    expectTypeOf<Parameters<Built['run']>[0]>().toEqualTypeOf<string>();
    // A builder keeps its outputs when annotated with the input type only (outputs widen to unknown).
    const annotated: WorkflowBuilder<string> = builder;
    expect(annotated).toBe(builder);
  });

  it("outputFrom narrows result().outputs to the designated executors' outputs", () => {
    // outputFrom changes the builder it is called on, like every builder call: a fresh chain for each.
    const chain = () =>
      new WorkflowBuilder(words)
        .addEdge(words, count)
        .addFanOut(count, [typed.executor('double', { id: 'left' }), typed.executor('double', { id: 'right' })])
        .addFanIn(['left', 'right'], sum)
        .addEdge(count, report);
    const onlySum = chain().outputFrom('sum');
    expect(onlySum.toGraph().outputFrom).toEqual(new Set(['sum']));
    expectTypeOf<Awaited<ReturnType<typeof onlySum.build>>>().toEqualTypeOf<
      Workflow<string, { readonly sum: number }>
    >();
    const onlyReport = chain().outputFrom(report);
    expectTypeOf<Awaited<ReturnType<typeof onlyReport.build>>>().toEqualTypeOf<Workflow<string, string>>();
    expect(onlyReport.toGraph().outputFrom).toEqual(new Set(['report']));
  });

  it('a gathering executor is typed by one message: its edges check against that, not the list', () => {
    const gathered = new WorkflowBuilder(typed.executor('double')).addEdge('double', typed.executor('gatherTotal'));
    expectTypeOf<Awaited<ReturnType<typeof gathered.build>>>().toEqualTypeOf<Workflow<number, number>>();
    expect(gathered.toGraph().edges).toHaveLength(1);
    // @ts-expect-error -- words sends a list of strings, which gatherTotal does not take
    new WorkflowBuilder(words).addEdge(words, typed.executor('gatherTotal'));
  });

  it('library executors carry their message and output types', () => {
    const lib = executorModule<typeof import('./fixtures/library.ts')>(
      new URL('./fixtures/library.ts', import.meta.url),
    );
    const sums = new WorkflowBuilder(lib.executor('double')).addEdge('double', lib.executor('total'));
    expectTypeOf<Awaited<ReturnType<typeof sums.build>>>().toEqualTypeOf<Workflow<number, number>>();
    expect(sums.toGraph().edges).toHaveLength(1);
    // @ts-expect-error -- pair (a fan-in record) takes a list of numbers, not the one number double sends
    new WorkflowBuilder(lib.executor('double')).addEdge('double', lib.executor('pair'));
  });

  it('types yieldOutput by the definition and response.value by its responseSchema', () => {
    expectTypeOf<Parameters<ExecutorContext<undefined, number, string>['yieldOutput']>>().toEqualTypeOf<[string]>();
    type OnResponse = NonNullable<typeof approve.onResponse>;
    expectTypeOf<Parameters<OnResponse>[0]>().toEqualTypeOf<RequestResponse<unknown, { approved: boolean }>>();
  });

  it('runs the typed workflow and returns the outputs its types promise', async () => {
    await using workflow = await builder.build({ threads: 1 });
    const { outputs } = await workflow.run('one two three').result();
    expectTypeOf(outputs).toEqualTypeOf<readonly ({ readonly sum: number } | string)[]>();
    expect([...outputs].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      '3 words',
      { sum: 12 },
    ]);
  });
});
