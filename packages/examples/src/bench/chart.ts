/**
 * The ratio chart for the README (`--svg FILE`): one horizontal bar per ratio key, on a log scale (the
 * ratios run from ~0.5 to a few hundred), growing from a line at 1.0, its value written at its end; a tick
 * marks the target where there is one, and the bar is green when it is met, red when not, grey without.
 *
 * Written by hand rather than with a charting library: the one that renders SVG in Node without a browser
 * (vega + vega-lite) brings ~30 vega-* packages plus d3 modules for a chart of two dozen bars, and lays out
 * text without a font engine anyway. Monospace text keeps the hand layout predictable.
 */
import { round } from './harness.ts';
import type { BenchReport } from './report.ts';
import { formatFigure, headlines, meets, type Headline } from './targets.ts';

const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
/** Advance of one character at 12 px in a typical monospace font. */
const CHAR_WIDTH = 7.3;
const ROW = 22;
const BAR = 14;
const TOP = 64;
const BOTTOM = 44;
const PLOT_WIDTH = 560;
/** Room between the labels and the plot, for values written left of bars below 1. */
const GAP = 64;
const RIGHT = 72;

const COLOURS = { met: '#2e7d32', missed: '#c62828', none: '#607d8b' } as const;

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

/** Where a value label starts (`side` 1: right of the bar, −1: left): clear of a target tick within 40 px. */
function labelEdge(end: number, target: number | undefined, side: 1 | -1): number {
  if (target === undefined) return end;
  const beyond = (target - end) * side;
  return beyond >= -2 && beyond < 40 ? target + 2 * side : end;
}

function colour(headline: Headline): string {
  if (headline.target === undefined) return COLOURS.none;
  return meets(headline.value, headline.target) ? COLOURS.met : COLOURS.missed;
}

/** The chart of every ratio in `report`, as an SVG document. */
export function renderRatioChart(report: BenchReport, mode: string): string {
  const bars = headlines(report).filter((headline) => headline.kind === 'ratio' && headline.value > 0);
  const labels = bars.map((bar) => `${bar.scenario}  ${bar.measure}`);
  const labelWidth = Math.ceil(Math.max(20, ...labels.map((label) => label.length)) * CHAR_WIDTH) + 16;
  const values = bars.flatMap((bar) => [bar.value, ...(bar.target === undefined ? [] : [bar.target.value])]);
  const low = snap(Math.min(0.5, ...values.map((value) => value / 1.2)), false);
  const high = snap(Math.max(2, ...values.map((value) => value * 1.2)), true);
  const plotLeft = labelWidth + GAP;
  const x = (value: number): number =>
    plotLeft + ((Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * PLOT_WIDTH;
  const width = plotLeft + PLOT_WIDTH + RIGHT;
  const height = TOP + Math.max(1, bars.length) * ROW + BOTTOM;
  const plotBottom = TOP + bars.length * ROW;
  const { machine } = report;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">superstep bench — ratios (${escapeXml(mode)}, ${machine.cpus} cpus, ${machine.threads} threads, Node ${escapeXml(machine.node)})</text>`,
    `<text x="12" y="42" fill="#555">log scale · x/superstep &gt; 1: superstep faster · superstep/x &lt; 1: superstep faster (throughput: rate, higher is better) · black tick: target</text>`,
  ];
  for (const tick of logTicks(low, high)) {
    const position = x(tick).toFixed(1);
    parts.push(
      `<line x1="${position}" y1="${TOP - 6}" x2="${position}" y2="${plotBottom}" stroke="#e0e0e0"/>`,
      `<text x="${position}" y="${plotBottom + 16}" text-anchor="middle" fill="#555">${String(tick)}</text>`,
    );
  }
  bars.forEach((bar, index) => {
    const top = TOP + index * ROW;
    const middle = top + ROW / 2;
    const one = x(1);
    const end = x(bar.value);
    const left = Math.min(one, end);
    const barWidth = Math.max(1, Math.abs(end - one));
    const label = labels[index] ?? '';
    const target = bar.target === undefined ? undefined : x(bar.target.value);
    parts.push(
      `<text x="12" y="${(middle + 4).toFixed(1)}">${escapeXml(label)}</text>`,
      `<rect x="${left.toFixed(1)}" y="${(middle - BAR / 2).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${BAR}" fill="${colour(bar)}"/>`,
      // The value goes past the bar's end, and past the target tick when that lies just beyond it.
      bar.value >= 1
        ? `<text x="${(labelEdge(end, target, 1) + 4).toFixed(1)}" y="${(middle + 4).toFixed(1)}">${formatFigure(bar.value)}</text>`
        : `<text x="${(labelEdge(end, target, -1) - 4).toFixed(1)}" y="${(middle + 4).toFixed(1)}" text-anchor="end">${formatFigure(bar.value)}</text>`,
    );
    if (bar.target !== undefined) {
      const position = x(bar.target.value).toFixed(1);
      parts.push(
        `<line x1="${position}" y1="${(top + 2).toFixed(1)}" x2="${position}" y2="${(top + ROW - 2).toFixed(1)}" stroke="#000" stroke-width="2"><title>target ${bar.target.op} ${String(bar.target.value)}</title></line>`,
      );
    }
  });
  const one = x(1).toFixed(1);
  parts.push(
    `<line x1="${one}" y1="${TOP - 6}" x2="${one}" y2="${plotBottom}" stroke="#000" stroke-dasharray="4 3"/>`,
    `<text x="12" y="${height - 10}" fill="#555">bar colour: <tspan fill="${COLOURS.met}">target met</tspan> · <tspan fill="${COLOURS.missed}">target missed</tspan> · <tspan fill="${COLOURS.none}">no target</tspan></text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
