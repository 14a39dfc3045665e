/**
 * What the ratio chart draws (chart.ts), one row per ratio, every one oriented so that a larger value is
 * better for superstep. A ratio whose key already reads that way (`langgraph/superstep`: superstep is faster
 * above 1; message-throughput's `superstep/floor`: rates) is drawn as it is; a cost ratio (`superstep/floor` of
 * times, `sqlite/none`, `restore/encode`, …: larger is worse) is drawn inverted, under the inverted key
 * (`floor/superstep`: the fraction of the floor's speed superstep reaches), with its target inverted too.
 */
import type { BenchReport } from './report.ts';
import { headlines, meets, type Headline } from './targets.ts';

/** Ratio keys that divide rates, not times: larger is better although superstep is the numerator. */
const RATE_RATIOS: Readonly<Record<string, readonly string[]>> = {
  'message-throughput': ['superstep/floor'],
};

export interface ChartRow {
  readonly scenario: string;
  /** The key as drawn: the report's key, or its inverse (`floor/superstep@A=2`). */
  readonly label: string;
  /** The value as drawn: larger is better for superstep; 1 is "as fast as the floor or peer". */
  readonly value: number;
  /** Whether the row is the inverse of the report's ratio. */
  readonly inverted: boolean;
  /** The target as drawn (inverted with the row), and whether the report's value meets it. */
  readonly target: { readonly value: number; readonly text: string; readonly met: boolean } | undefined;
  /** The report's own figure. */
  readonly source: Headline;
}

/** Splits `superstep/floor@A=2` into its systems and its size suffix. */
function parseKey(key: string): { numerator: string; denominator: string; size: string } | undefined {
  const at = key.indexOf('@');
  const ratio = at < 0 ? key : key.slice(0, at);
  const [numerator, denominator, ...rest] = ratio.split('/');
  if (numerator === undefined || denominator === undefined || rest.length > 0) return undefined;
  return { numerator, denominator, size: at < 0 ? '' : key.slice(at) };
}

/**
 * Whether a larger value of this ratio is better for superstep: a peer's time over superstep's
 * (`langgraph/superstep`, not a superstep variant such as `superstep+tsx/superstep`), or a ratio of rates.
 */
export function largerIsBetter(scenario: string, key: string): boolean {
  const parsed = parseKey(key);
  if (parsed === undefined) return true;
  if (RATE_RATIOS[scenario]?.includes(`${parsed.numerator}/${parsed.denominator}`) === true) return true;
  return parsed.denominator === 'superstep' && !parsed.numerator.startsWith('superstep');
}

const INVERSE_OP = { '≥': '≤', '≤': '≥', '<': '>' } as const;

/** Two significant digits: enough to place and read a target (1/1.5 is 0.67). */
const short = (value: number): number => Number(value.toPrecision(2));

function chartRow(headline: Headline): ChartRow {
  const { scenario, measure, value, target } = headline;
  const parsed = parseKey(measure);
  const inverted = parsed !== undefined && !largerIsBetter(scenario, measure);
  const met = target === undefined ? false : meets(value, target);
  if (!inverted) {
    const drawn = target && { value: target.value, text: `${target.op} ${String(target.value)}`, met };
    return { scenario, label: measure, value, inverted, target: drawn, source: headline };
  }
  const label = `${parsed.denominator}/${parsed.numerator}${parsed.size}`;
  const drawn = target && {
    value: 1 / target.value,
    text: `${INVERSE_OP[target.op]} ${String(short(1 / target.value))}`,
    met,
  };
  return { scenario, label, value: 1 / value, inverted, target: drawn, source: headline };
}

/**
 * The chart's rows, in report order (so grouped by scenario). A key without a size (`superstep/floor`) is left
 * out where the same scenario reports it per size (`superstep/floor@A=2`, `@A=64`): it repeats one of them.
 */
export function chartRows(report: BenchReport): ChartRow[] {
  const ratios = headlines(report).filter((headline) => headline.kind === 'ratio' && headline.value > 0);
  const sized = new Set(
    ratios
      .filter((h) => h.measure.includes('@'))
      .map((h) => `${h.scenario} ${h.measure.slice(0, h.measure.indexOf('@'))}`),
  );
  return ratios.filter((h) => !sized.has(`${h.scenario} ${h.measure}`)).map(chartRow);
}
