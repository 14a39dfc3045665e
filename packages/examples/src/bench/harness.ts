/**
 * The benchmark contract (docs/benchmarks.md): what a scenario is, what it reports, and the measuring helpers every
 * scenario shares — warm-up, interleaved repetitions, median/min/max. A scenario is one file exporting a
 * {@link Scenario}, registered in `scenarios.ts`.
 */
import { performance } from 'node:perf_hooks';

/** Parameters as they appear in the JSON (`params` of a scenario or of one result). */
export type Params = Readonly<Record<string, number | string | boolean | readonly number[] | readonly string[]>>;

/** One row of a scenario's `results` (field names fixed: docs/benchmarks.md#json). */
export interface ResultRow {
  readonly system: string;
  readonly metric: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
  /** Present when the scenario runs at several sizes: the size this row is for. */
  readonly params?: Params;
}

/** What a scenario hands back; the CLI adds its `id`. */
export interface ScenarioOutcome {
  readonly params: Params;
  readonly results: readonly ResultRow[];
  /** `x/y` = median of x ÷ median of y (time metrics), see docs/benchmarks.md#ratio-direction. */
  readonly ratios: Readonly<Record<string, number>>;
}

/** What every scenario gets from the CLI. */
export interface BenchContext {
  /** `--quick`: smaller sizes and fewer repetitions, whole suite under 60 s on 2 cores. */
  readonly quick: boolean;
  /** Worker threads every pool-based system uses (the same count for all of them). */
  readonly threads: number;
  /** A progress line (stderr), prefixed with the scenario id. */
  readonly progress: (line: string) => void;
}

export interface Scenario {
  /** Fixed: docs/benchmarks.md#scenarios. */
  readonly id: string;
  /** One line for `--help`. */
  readonly title: string;
  run(context: BenchContext): Promise<ScenarioOutcome>;
}

/** Warm-up runs (discarded) and measured repetitions. */
export interface Repetitions {
  readonly warmup: number;
  readonly reps: number;
}

/**
 * A system under measurement: `once()` performs one repetition and returns its measurement (a duration in
 * ms, or a derived figure such as µs per superstep), timed by the system itself so that only the intended
 * region is inside the clock.
 */
export interface Contender {
  readonly name: string;
  once(): Promise<number>;
}

/** Runs `fn` and returns how long it took, in ms, with its value. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * Measures contenders side by side: warm-up for each, then repetition by repetition, every contender once
 * per repetition in a rotating order, so that drift on a noisy machine hits every system alike.
 */
export async function measureInterleaved(
  contenders: readonly Contender[],
  repetitions: Repetitions,
  progress: (line: string) => void,
): Promise<Map<string, number[]>> {
  for (const contender of contenders) {
    for (let index = 0; index < repetitions.warmup; index++) await contender.once();
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let rep = 0; rep < repetitions.reps; rep++) {
    const line: string[] = [];
    const first = rep % contenders.length;
    for (const contender of [...contenders.slice(first), ...contenders.slice(0, first)]) {
      const value = await contender.once();
      samples.get(contender.name)?.push(value);
      line.push(`${contender.name} ${formatNumber(value)}`);
    }
    progress(`rep ${rep + 1}/${repetitions.reps}: ${line.join(' · ')}`);
  }
  return samples;
}

/** Median, min and max of some samples (the median of an even count is the mean of the middle two). */
export function summarize(samples: readonly number[]): { median: number; min: number; max: number; runs: number } {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? nth(sorted, middle) : (nth(sorted, middle - 1) + nth(sorted, middle)) / 2;
  return {
    median: round(median),
    min: round(nth(sorted, 0)),
    max: round(nth(sorted, sorted.length - 1)),
    runs: sorted.length,
  };
}

function nth(values: readonly number[], index: number): number {
  const value = values[index];
  if (value === undefined) throw new RangeError(`no sample at ${index} of ${values.length}`);
  return value;
}

/** A result row from samples. */
export function row(system: string, metric: string, samples: readonly number[], params?: Params): ResultRow {
  return { system, metric, ...summarize(samples), ...(params === undefined ? {} : { params }) };
}

/** A one-off measurement (start-up, build) as a result row with `runs: 1`. */
export function single(system: string, metric: string, value: number, params?: Params): ResultRow {
  return row(system, metric, [value], params);
}

/** `numerator/denominator` of two medians, or undefined when either is missing. */
export function ratio(numerator: ResultRow | undefined, denominator: ResultRow | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator.median === 0) return undefined;
  return round(numerator.median / denominator.median);
}

/** Four significant digits: enough for noisy timings, short in the JSON. */
export function round(value: number): number {
  return Number(value.toPrecision(4));
}

export function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** One scenario's outcome in the JSON report (docs/benchmarks.md#json). */
export interface ScenarioReport extends ScenarioOutcome {
  readonly id: string;
}

export interface BenchReport {
  readonly formatVersion: 1;
  readonly machine: { readonly cpus: number; readonly node: string; readonly threads: number };
  readonly scenarios: readonly ScenarioReport[];
}
