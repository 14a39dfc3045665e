/**
 * What the CLI writes: the JSON document of BENCH.md (field names fixed, `formatVersion` 1) and the table
 * printed to stdout.
 */
import { formatNumber, type Params, type ScenarioOutcome } from './harness.ts';

export interface ScenarioReport extends ScenarioOutcome {
  readonly id: string;
}

export interface BenchReport {
  readonly formatVersion: 1;
  readonly machine: { readonly cpus: number; readonly node: string; readonly threads: number };
  readonly scenarios: readonly ScenarioReport[];
}

function formatParams(params: Params | undefined): string {
  if (params === undefined) return '';
  return Object.entries(params)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}

function formatRatio(value: number): string {
  return value.toFixed(value >= 10 ? 1 : 2);
}

/** Pads a table: the first `leftColumns` columns left-aligned, the rest right-aligned. */
function table(rows: readonly (readonly string[])[], leftColumns: number): string[] {
  const widths: number[] = [];
  for (const cells of rows) cells.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((cells) =>
    cells
      .map((cell, index) => (index < leftColumns ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The human-readable report: one block per scenario, its results, then its ratios. */
export function formatTable(report: BenchReport, mode: string): string {
  const { machine } = report;
  const lines = [
    `superstep bench · ${mode} · ${machine.threads} threads · ${machine.cpus} cpus · Node ${machine.node}`,
  ];
  for (const scenario of report.scenarios) {
    lines.push('', `${scenario.id}  ${formatParams(scenario.params)}`);
    const rows: string[][] = [['system', 'size', 'metric', 'median', 'min', 'max', 'runs']];
    for (const result of scenario.results) {
      rows.push([
        result.system,
        formatParams(result.params),
        result.metric,
        formatNumber(result.median),
        formatNumber(result.min),
        formatNumber(result.max),
        String(result.runs),
      ]);
    }
    lines.push(...table(rows, 3).map((line) => `  ${line}`));
    const ratios = Object.entries(scenario.ratios);
    if (ratios.length > 0) {
      lines.push(`  ratios: ${ratios.map(([key, value]) => `${key} ${formatRatio(value)}`).join(' · ')}`);
    }
  }
  return lines.join('\n');
}
