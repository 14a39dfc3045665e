/**
 * The ratio chart for the README (`--svg FILE`), made to read at a glance: every bar is oriented so that
 * **right is better for superstep** (cost ratios such as `superstep/floor` are drawn inverted, as
 * `floor/superstep`: see chart-rows.ts), bars grow on a log scale from a line at 1 (as fast as the floor or
 * peer), a black tick marks each row's target (targets.ts, inverted with its row), rows are grouped under
 * their scenario, and the whole chart is {@link CHART_WIDTH} px wide. A bar is green when its target is met,
 * red when not, grey without one; the value and the target are written in a column at the right.
 *
 * Written by hand rather than with a charting library: the one that renders SVG in Node without a browser
 * (vega + vega-lite) brings ~30 vega-* packages plus d3 modules for a chart of two dozen bars, and lays out
 * text without a font engine anyway. Monospace text keeps the hand layout predictable.
 */
import { round } from './harness.ts';
import type { BenchReport } from './report.ts';
import { chartRows, type ChartRow } from './chart-rows.ts';
import { formatFigure } from './targets.ts';

/** The chart's width in px: fits a laptop's browser window beside nothing else. */
export const CHART_WIDTH = 900;

const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
/** Advance of one character at 12 px in a typical monospace font. */
const CHAR_WIDTH = 7.3;
const MARGIN = 12;
/** Measure labels are indented under their scenario's heading. */
const INDENT = 14;
const ROW = 18;
const BAR = 12;
const HEADING = 22;
const TOP = 86;
const BOTTOM = 48;
/** Right of the plot: the value, the report's figure when inverted, the target (`0.546 (1/1.83)  ≥ 0.8 ✗`). */
const VALUE_COLUMN = 190;

const COLOURS = { met: '#2e7d32', missed: '#c62828', none: '#78909c' } as const;

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}

/** 1-2-5 steps: the tick values of a log axis over `[low, high]`. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); 10 ** decade <= high; decade++) {
    for (const step of [1, 2, 5]) {
      const tick = round(step * 10 ** decade);
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  }
  return ticks;
}

/** The largest 1-2-5 value ≤ `value` (or the smallest ≥ it, with `up`). */
function snap(value: number, up: boolean): number {
  const decade = 10 ** Math.floor(Math.log10(value));
  const steps = [1, 2, 5, 10].map((step) => step * decade);
  return up
    ? (steps.find((step) => step >= value) ?? value)
    : ([...steps].reverse().find((step) => step <= value) ?? value);
}

function colour(row: ChartRow): string {
  if (row.target === undefined) return COLOURS.none;
  return row.target.met ? COLOURS.met : COLOURS.missed;
}

/** Where things go: the plot's horizontal extent and the log scale over it. */
interface Layout {
  readonly plotLeft: number;
  readonly plotRight: number;
  readonly x: (value: number) => number;
  readonly low: number;
  readonly high: number;
}

function layout(rows: readonly ChartRow[]): Layout {
  const longest = Math.max(24, ...rows.map((row) => row.label.length), ...rows.map((row) => row.scenario.length - 2));
  const plotLeft = MARGIN + INDENT + Math.ceil(longest * CHAR_WIDTH) + 12;
  const plotRight = CHART_WIDTH - MARGIN - VALUE_COLUMN;
  const values = rows.flatMap((row) => [row.value, ...(row.target === undefined ? [] : [row.target.value])]);
  const low = snap(Math.min(0.5, ...values.map((value) => value / 1.25)), false);
  const high = snap(Math.max(2, ...values.map((value) => value * 1.25)), true);
  const span = Math.log10(high) - Math.log10(low);
  const x = (value: number): number =>
    plotLeft + ((Math.log10(value) - Math.log10(low)) / span) * (plotRight - plotLeft);
  return { plotLeft, plotRight, x, low, high };
}

/** The rows' vertical positions: a heading before each scenario's first row. */
function positions(rows: readonly ChartRow[]): { headings: [string, number][]; tops: number[]; bottom: number } {
  const headings: [string, number][] = [];
  const tops: number[] = [];
  let y = TOP;
  rows.forEach((row, index) => {
    if (rows[index - 1]?.scenario !== row.scenario) {
      headings.push([row.scenario, y]);
      y += HEADING;
    }
    tops.push(y);
    y += ROW;
  });
  return { headings, tops, bottom: y + 4 };
}

function header(report: BenchReport, mode: string, width: number): string[] {
  const { machine } = report;
  const setting = `${mode}, ${String(machine.cpus)} cpus, ${String(machine.threads)} threads, Node ${machine.node}`;
  return [
    `<rect width="${String(width)}" height="100%" fill="#ffffff"/>`,
    `<text x="${String(MARGIN)}" y="22" font-size="15" font-weight="bold">superstep bench: right = better for superstep <tspan font-weight="normal" font-size="12" fill="#555">(${escapeXml(setting)})</tspan></text>`,
    `<text x="${String(MARGIN)}" y="40" font-size="11" fill="#444">log scale · bars grow from 1 = as fast as the floor, peer or baseline · black tick: the target · value, target at the right</text>`,
    `<text x="${String(MARGIN)}" y="55" font-size="11" fill="#444">cost ratios are drawn inverted (1/x): floor/superstep = the fraction of the floor's speed that superstep reaches</text>`,
  ];
}

function axis(at: Layout, top: number, bottom: number): string[] {
  const parts: string[] = [];
  for (const tick of logTicks(at.low, at.high)) {
    const position = at.x(tick).toFixed(1);
    parts.push(
      `<line x1="${position}" y1="${String(top)}" x2="${position}" y2="${String(bottom)}" stroke="#e4e4e4"/>`,
      `<text x="${position}" y="${String(bottom + 15)}" text-anchor="middle" fill="#555">${String(tick)}</text>`,
    );
  }
  const one = at.x(1).toFixed(1);
  parts.push(
    `<text x="${(at.x(1) - 6).toFixed(1)}" y="${String(top - 6)}" text-anchor="end" fill="#555">◀ slower than the floor / peer</text>`,
    `<text x="${(at.x(1) + 6).toFixed(1)}" y="${String(top - 6)}" fill="#555">faster ▶</text>`,
  );
  return [
    ...parts,
    `<line x1="${one}" y1="${String(top - 2)}" x2="${one}" y2="${String(bottom)}" stroke="#000" stroke-dasharray="4 3"/>`,
  ];
}

function bar(row: ChartRow, at: Layout, top: number): string[] {
  const middle = top + ROW / 2;
  const [one, end] = [at.x(1), at.x(row.value)];
  const source = `${row.source.measure} = ${formatFigure(row.source.value)}`;
  const title = row.inverted ? `${source}, drawn inverted: ${row.label} = ${formatFigure(row.value)}` : source;
  const data = `data-scenario="${escapeXml(row.scenario)}" data-label="${escapeXml(row.label)}" data-value="${String(row.value)}"`;
  const parts = [
    `<text x="${String(MARGIN + INDENT)}" y="${(middle + 4).toFixed(1)}">${escapeXml(row.label)}</text>`,
    `<rect ${data} x="${Math.min(one, end).toFixed(1)}" y="${(middle - BAR / 2).toFixed(1)}" width="${Math.max(1, Math.abs(end - one)).toFixed(1)}" height="${String(BAR)}" fill="${colour(row)}"><title>${escapeXml(title)}</title></rect>`,
  ];
  // The value (and, inverted, the report's own figure), then the target: tspans, as SVG collapses spaces.
  const value = formatFigure(row.value);
  const spans = [row.inverted ? `${value} <tspan fill="#777">(1/${formatFigure(row.source.value)})</tspan>` : value];
  if (row.target !== undefined) {
    const position = at.x(row.target.value).toFixed(1);
    parts.push(
      `<line data-target="${String(row.target.value)}" x1="${position}" y1="${String(top + 1)}" x2="${position}" y2="${String(top + ROW - 1)}" stroke="#000" stroke-width="2"><title>target ${escapeXml(row.target.text)}</title></line>`,
    );
    spans.push(
      `<tspan x="${(at.plotRight + VALUE_COLUMN - 64).toFixed(1)}">${escapeXml(row.target.text)} ${row.target.met ? '✓' : '✗'}</tspan>`,
    );
  }
  parts.push(`<text x="${(at.plotRight + 10).toFixed(1)}" y="${(middle + 4).toFixed(1)}">${spans.join('')}</text>`);
  return parts;
}

/** The chart of every ratio in `report`, as an SVG document {@link CHART_WIDTH} px wide. */
export function renderRatioChart(report: BenchReport, mode: string): string {
  const rows = chartRows(report);
  const at = layout(rows);
  const { headings, tops, bottom } = positions(rows);
  const height = bottom + BOTTOM;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(CHART_WIDTH)}" height="${String(height)}" viewBox="0 0 ${String(CHART_WIDTH)} ${String(height)}" font-family="${FONT}" font-size="12">`,
    ...header(report, mode, CHART_WIDTH),
    ...axis(at, TOP, bottom),
  ];
  for (const [scenario, y] of headings) {
    parts.push(
      `<line x1="${String(MARGIN)}" y1="${String(y + 1)}" x2="${String(CHART_WIDTH - MARGIN)}" y2="${String(y + 1)}" stroke="#cfd8dc"/>`,
      `<text x="${String(MARGIN)}" y="${String(y + 16)}" font-weight="bold">${escapeXml(scenario)}</text>`,
    );
  }
  rows.forEach((row, index) => parts.push(...bar(row, at, tops[index] ?? TOP)));
  parts.push(
    `<text x="${String(MARGIN)}" y="${String(height - 10)}" fill="#555">bar: <tspan fill="${COLOURS.met}">target met</tspan> · <tspan fill="${COLOURS.missed}">target missed</tspan> · <tspan fill="${COLOURS.none}">no target</tspan> · ratios from one run; keys as in docs/benchmarks.md</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
