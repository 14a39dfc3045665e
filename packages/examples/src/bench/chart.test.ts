import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHART_WIDTH, renderRatioChart } from './chart.ts';
import type { BenchReport } from './report.ts';

const machine = { cpus: 2, node: 'v20.20.2', threads: 2 };

/** A report with ratios of every kind: peer/superstep, cost ratios per size, a rate, store costs. */
const report: BenchReport = {
  formatVersion: 1,
  machine,
  scenarios: [
    { id: 'fanout-cpu', params: {}, results: [], ratios: { 'sequential/superstep': 1.5, 'langgraph/superstep': 3 } },
    {
      id: 'superstep-overhead',
      params: {},
      results: [],
      ratios: { 'superstep/floor@A=2': 1.2, 'superstep/floor@A=64': 2.4, 'superstep/floor': 2.4 },
    },
    { id: 'message-throughput', params: {}, results: [], ratios: { 'superstep/floor': 0.6 } },
    { id: 'checkpoint-overhead', params: {}, results: [], ratios: { 'memory/none': 1.1, 'file/none': 5 } },
  ],
};

interface Bar {
  readonly scenario: string;
  readonly label: string;
  /** Where the bar's value end is: its right edge at or above 1, its left edge below. */
  readonly reach: number;
  readonly left: number;
  readonly right: number;
}

/** The bars of a rendered chart, by `scenario label`. */
function bars(svg: string): Map<string, Bar> {
  const found = new Map<string, Bar>();
  for (const match of svg.matchAll(
    /<rect data-scenario="([^"]+)" data-label="([^"]+)" data-value="([^"]+)" x="([^"]+)" y="[^"]+" width="([^"]+)"/g,
  )) {
    const [, scenario = '', label = '', value = '', x = '', width = ''] = match;
    const [left, right] = [Number(x), Number(x) + Number(width)];
    found.set(`${scenario} ${label}`, { scenario, label, left, right, reach: Number(value) >= 1 ? right : left });
  }
  return found;
}

function bar(all: Map<string, Bar>, key: string): Bar {
  const found = all.get(key);
  if (found === undefined) throw new Error(`no bar ${key} among ${[...all.keys()].join(', ')}`);
  return found;
}

/** The x of the dashed line at 1 (the floor or peer). */
function floorLine(svg: string): number {
  const match = /<line x1="([^"]+)"[^>]*stroke-dasharray/.exec(svg);
  if (match?.[1] === undefined) throw new Error('no line at 1');
  return Number(match[1]);
}

describe('the ratio chart', () => {
  const svg = renderRatioChart(report, 'full');
  const drawn = bars(svg);

  it('draws a ratio that is better for superstep further right, whichever way its key points', () => {
    // Peer over superstep: larger is better, drawn as it is.
    expect(bar(drawn, 'fanout-cpu langgraph/superstep').reach).toBeGreaterThan(
      bar(drawn, 'fanout-cpu sequential/superstep').reach,
    );
    // superstep/floor is a cost: 1.2 (better) must reach further right than 2.4, drawn as floor/superstep.
    const a2 = bar(drawn, 'superstep-overhead floor/superstep@A=2');
    const a64 = bar(drawn, 'superstep-overhead floor/superstep@A=64');
    expect(a2.reach).toBeGreaterThan(a64.reach);
    expect(a2.right).toBeCloseTo(floorLine(svg), 0);
    // Store costs: memory (1.1× none) is better than file (5×).
    expect(bar(drawn, 'checkpoint-overhead none/memory').reach).toBeGreaterThan(
      bar(drawn, 'checkpoint-overhead none/file').reach,
    );
    // A rate ratio is not inverted: 0.6 of the floor's rate is drawn as 0.6, left of the line at 1.
    const rate = bar(drawn, 'message-throughput superstep/floor');
    expect(rate.reach).toBeLessThan(floorLine(svg));
    expect(svg).toContain('data-label="superstep/floor" data-value="0.6"');
  });

  it('leaves out a ratio key that repeats one of its sizes', () => {
    expect(drawn.has('superstep-overhead floor/superstep')).toBe(false);
    expect([...drawn.keys()].filter((key) => key.startsWith('superstep-overhead'))).toHaveLength(2);
  });

  it("marks a cost ratio's target inverted, on the side where it is met", () => {
    // superstep/floor ≤ 1.25 is drawn as floor/superstep ≥ 0.8: left of 1, and a met target (A=2: 1.2, drawn
    // 0.83) reaches past its tick while a missed one (A=64: 2.4, drawn 0.42) stops short of it.
    const ticks = [...svg.matchAll(/<line data-target="0.8" x1="([^"]+)"/g)].map((match) => Number(match[1]));
    expect(ticks).toHaveLength(2);
    for (const tick of ticks) {
      expect(tick).toBeLessThan(floorLine(svg));
      expect(tick).toBeLessThan(bar(drawn, 'superstep-overhead floor/superstep@A=2').reach);
      expect(tick).toBeGreaterThan(bar(drawn, 'superstep-overhead floor/superstep@A=64').reach);
    }
    expect(svg).toContain('≥ 0.8 ✓');
    expect(svg).toContain('≥ 0.8 ✗');
  });

  it('groups the rows under a heading per scenario, in report order', () => {
    const headings = [...svg.matchAll(/<text [^>]*font-weight="bold">([^<]+)<\/text>/g)].map((match) => match[1]);
    expect(headings).toEqual(['fanout-cpu', 'superstep-overhead', 'message-throughput', 'checkpoint-overhead']);
  });

  it(`is ${String(CHART_WIDTH)} px wide with the README's full report, every bar inside the plot`, () => {
    const readme = JSON.parse(
      readFileSync(new URL('../../../../docs/bench.json', import.meta.url), 'utf8'),
    ) as BenchReport;
    const chart = renderRatioChart(readme, 'full');
    expect(chart).toMatch(new RegExp(`^<svg [^>]*width="${String(CHART_WIDTH)}"`));
    expect(CHART_WIDTH).toBeLessThanOrEqual(900);
    const all = [...bars(chart).values()];
    expect(all.length).toBeGreaterThan(10);
    for (const drawnBar of all) {
      expect(drawnBar.left).toBeGreaterThan(0);
      expect(drawnBar.right).toBeLessThan(CHART_WIDTH);
    }
  });
});
