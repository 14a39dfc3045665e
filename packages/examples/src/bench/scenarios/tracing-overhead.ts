/**
 * `tracing-overhead`: what tracing costs the superstep machinery, on `superstep-overhead`'s shape (A actors
 * in a ring forwarding one tiny message per superstep for S supersteps, no work in handlers: the worst case,
 * where nothing hides the per-superstep and per-handler cost). The same workflow runs, interleaved, as:
 *
 * - `off`: no tracer provider registered (the default for a user who does not trace);
 * - `noop-provider`: a registered provider whose spans record nothing ({@link noopProvider});
 * - `in-memory`: an SDK recording every span (`BasicTracerProvider` + `SimpleSpanProcessor` +
 *   `InMemorySpanExporter`, emptied after each repetition);
 * - `recorder`: no provider, a run recorder attached (what `--timeline` costs).
 *
 * Ratios `x/off` are time ratios: 1 means free, 1.5 means 50 % slower than running untraced.
 */
import { INVALID_SPAN_CONTEXT, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createPool, createRunRecorder, type RunRecorder } from '@superstep/runtime';
import { buildRing } from '../overhead-ring.ts';
import {
  measureInterleaved,
  ratio,
  row,
  single,
  timed,
  type Contender,
  type ResultRow,
  type Scenario,
} from '../harness.ts';

const SIZES = [2, 64] as const;
const SYSTEMS = ['off', 'noop-provider', 'in-memory', 'recorder'] as const;

/** A provider that hands out non-recording spans: what a registered but idle tracing setup costs. */
function noopProvider(): TracerProvider {
  const span: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const tracer = {
    startSpan: () => span,
    // The last argument of every overload is the function to run with the span.
    startActiveSpan: (...args: unknown[]) => (args.at(-1) as (span: Span) => unknown)(span),
  } as Tracer;
  return { getTracer: () => tracer };
}

/** Makes `provider` the global one (or none): the API allows one registration until `disable()`. */
function register(provider: TracerProvider | undefined): void {
  trace.disable();
  if (provider !== undefined) trace.setGlobalTracerProvider(provider);
}

export const tracingOverhead: Scenario = {
  id: 'tracing-overhead',
  title:
    'superstep-overhead with tracing off, a registered no-op provider, an in-memory exporter, a run recorder: ratios to off',
  async run({ quick, threads, progress }) {
    const steps = quick ? 200 : 1000;
    const repetitions = quick ? { warmup: 1, reps: 5 } : { warmup: 2, reps: 11 };
    const results: ResultRow[] = [];
    const ratios: Record<string, number> = {};
    const exporter = new InMemorySpanExporter();
    const recording = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const noop = noopProvider();
    let spansPerRun = 0;

    const pool = await timed(() => createPool({ threads }));
    progress(`started · pool ${pool.ms.toFixed(0)} ms`);
    try {
      const worst: Record<string, number> = {};
      for (const actors of SIZES) {
        const params = { A: actors, S: steps };
        const workflow = await buildRing(pool.value, actors);
        try {
          const once = async (
            provider: TracerProvider | undefined,
            recorder: RunRecorder | undefined,
          ): Promise<number> => {
            register(provider);
            const { ms, value } = await timed(() =>
              workflow.run(steps, { maxSupersteps: steps + 10, recorder }).result(),
            );
            if (value.supersteps !== steps + 1) {
              throw new Error(`superstep ran ${value.supersteps} supersteps, expected ${steps + 1}`);
            }
            return (ms * 1000) / value.supersteps;
          };
          const contenders: Contender[] = [
            { name: 'off', once: () => once(undefined, undefined) },
            { name: 'noop-provider', once: () => once(noop, undefined) },
            {
              name: 'in-memory',
              async once() {
                const us = await once(recording, undefined);
                spansPerRun = exporter.getFinishedSpans().length;
                exporter.reset();
                return us;
              },
            },
            { name: 'recorder', once: () => once(undefined, createRunRecorder()) },
          ];
          const samples = await measureInterleaved(contenders, repetitions, (line) => {
            progress(`A=${actors} ${line}`);
          });
          const rows = new Map<string, ResultRow>();
          for (const [name, values] of samples) rows.set(name, row(name, 'usPerSuperstep', values, params));
          results.push(...rows.values());
          for (const system of SYSTEMS.slice(1)) {
            const value = ratio(rows.get(system), rows.get('off'));
            if (value === undefined) continue;
            ratios[`${system}/off@A=${actors}`] = value;
            worst[system] = Math.max(worst[system] ?? 0, value);
          }
          progress(`A=${actors} in-memory run: ${spansPerRun} spans`);
        } finally {
          await workflow.close();
        }
      }
      // The plain key is the size least favourable to tracing.
      for (const [system, value] of Object.entries(worst)) ratios[`${system}/off`] = value;
      return {
        params: { A: [...SIZES], S: steps, systems: [...SYSTEMS] },
        results: [...results, single('superstep', 'startupMs', pool.ms)],
        ratios,
      };
    } finally {
      register(undefined);
      await recording.shutdown();
      await pool.value.close();
    }
  },
};
