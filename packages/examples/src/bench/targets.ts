/**
 * The project's targets for the reported figures (docs/benchmarks.md and the project's issues), and the figures the
 * README table shows besides the ratios. Benchmarks are not tests: a missed target is shown (in the
 * markdown table and the chart), never turned into a failure.
 */
import type { BenchReport, ResultRow, ScenarioReport } from './harness.ts';

export interface Target {
  readonly op: '≥' | '≤' | '<';
  readonly value: number;
}

/** A figure worth a line in the README table: a ratio, or one system's metric (absolute scenarios). */
export interface Headline {
  readonly scenario: string;
  /** A ratio key (`sequential/superstep`), or `system metric` (`superstep p99Ms`). */
  readonly measure: string;
  readonly value: number;
  readonly kind: 'ratio' | 'metric';
  readonly target: Target | undefined;
}

/**
 * Targets by scenario id, then by ratio key or `system metric`: the targets of the performance issue (#18),
 * "≤ 1.25 at both" sizes written out per size; a key without a target is shown without one.
 */
export const TARGETS: Readonly<Record<string, Readonly<Record<string, Target>>>> = {
  'fanout-cpu': {
    'sequential/superstep': { op: '≥', value: 1.9 },
    'superstep/piscina': { op: '≤', value: 1.05 },
    'langgraph/superstep': { op: '≥', value: 1.8 },
  },
  'superstep-overhead': {
    'superstep/floor@A=2': { op: '≤', value: 1.25 },
    'superstep/floor@A=64': { op: '≤', value: 1.25 },
    'superstep/floor': { op: '≤', value: 1.25 },
    'langgraph/superstep@A=2': { op: '≥', value: 8 },
    'langgraph/superstep': { op: '≥', value: 8 },
  },
  'message-throughput': {
    'superstep/floor': { op: '≥', value: 0.7 },
  },
  'event-loop-lag': {
    'superstep p99Ms': { op: '<', value: 5 },
  },
  'checkpoint-overhead': {
    'memory/none': { op: '≤', value: 1.3 },
    'sqlite/none': { op: '≤', value: 1.5 },
    'file/none': { op: '≤', value: 3 },
  },
  restore: {
    'restore/encode': { op: '≤', value: 4 },
  },
  'remote-overhead': {
    'superstep/floor': { op: '≤', value: 1.5 },
  },
};

/** Scenarios measured in absolute terms: the metrics (by system) their table lines show. */
const HEADLINE_METRICS: Readonly<Record<string, readonly string[]>> = {
  'event-loop-lag': ['p99Ms', 'maxMs'],
  'respond-latency': ['respondMs', 'supersteps'],
  restore: ['restoreAndStepMs'],
};

/**
 * A figure shown next to its target: three significant digits below 10, so that rounding never makes a
 * missed target look met (0.4987 is `0.499`, not `0.50`).
 */
export function formatFigure(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

export function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '≥':
      return value >= target.value;
    case '≤':
      return value <= target.value;
    case '<':
      return value < target.value;
  }
}

function metricHeadlines(scenario: ScenarioReport): Headline[] {
  const metrics = HEADLINE_METRICS[scenario.id] ?? [];
  return scenario.results
    .filter((result: ResultRow) => metrics.includes(result.metric) && result.params === undefined)
    .map((result) => {
      const measure = `${result.system} ${result.metric}`;
      return {
        scenario: scenario.id,
        measure,
        value: result.median,
        kind: 'metric' as const,
        target: TARGETS[scenario.id]?.[measure],
      };
    });
}

/** Every ratio of every scenario, then the absolute metrics of the scenarios that have no ratio target. */
export function headlines(report: BenchReport): Headline[] {
  return report.scenarios.flatMap((scenario) => [
    ...Object.entries(scenario.ratios).map(([measure, value]) => ({
      scenario: scenario.id,
      measure,
      value,
      kind: 'ratio' as const,
      target: TARGETS[scenario.id]?.[measure],
    })),
    ...metricHeadlines(scenario),
  ]);
}
