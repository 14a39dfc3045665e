/**
 * What the CLI writes: the JSON document of docs/benchmarks.md#json (field names fixed, `formatVersion` 1), the table
 * printed to stdout, and the markdown table for the README (`--markdown`).
 */
import { formatNumber, type BenchReport, type Params } from './harness.ts';
import { formatFigure, headlines, meets, type Headline } from './targets.ts';

// The report's shapes live in harness.ts, so targets.ts can read reports without importing this module back.
export type { BenchReport, ScenarioReport } from './harness.ts';

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

function formatTarget(headline: Headline): string {
  const { target } = headline;
  if (target === undefined) return '';
  return `${target.op} ${String(target.value)} ${meets(headline.value, target) ? '✓' : '✗'}`;
}

/** A headline's value: ratios as `1.95×`, metrics by their unit (the metric name's suffix). */
export function formatHeadlineValue(headline: Headline): string {
  if (headline.kind === 'ratio') return `${formatFigure(headline.value)}×`;
  if (headline.measure.endsWith('Ms')) return `${formatFigure(headline.value)} ms`;
  return formatFigure(headline.value);
}

/**
 * The README's results table: every ratio (and the absolute figures of event-loop-lag, respond-latency and
 * restore) with its target where the project has one, ✓ when met. Markdown, ready to paste.
 */
export function formatMarkdown(report: BenchReport, mode: string): string {
  const { machine } = report;
  const lines = [
    `Measured by \`pnpm bench${mode === 'quick' ? ' --quick' : ''}\` on ${machine.cpus} cpus (${machine.threads} threads), ` +
      `Node ${machine.node}; medians of interleaved repetitions, see the JSON for min/max.`,
    '',
    '| scenario | ratio or metric | value | target |',
    '| --- | --- | ---: | --- |',
  ];
  for (const headline of headlines(report)) {
    lines.push(
      `| ${headline.scenario} | \`${headline.measure}\` | ${formatHeadlineValue(headline)} | ${formatTarget(headline)} |`,
    );
  }
  return lines.join('\n');
}
