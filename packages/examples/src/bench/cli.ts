/**
 * `pnpm bench [--quick] [--json FILE] [--svg FILE] [--markdown FILE] [--only ID[,ID]] [--threads N]` —
 * runs the scenarios of docs/benchmarks.md, prints a table to stdout (progress goes to stderr) and optionally writes
 * the JSON report, the ratio chart (SVG) and the README's results table (markdown).
 *
 * @example
 * pnpm bench --quick --json out.json
 * pnpm bench --only fanout-cpu
 * pnpm bench --json docs/bench.json --svg docs/bench-ratios.svg --markdown -
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EXAMPLES } from '../catalog.ts';
import type { BenchContext } from './harness.ts';
import { renderRatioChart } from './chart.ts';
import { formatMarkdown, formatTable, type BenchReport, type ScenarioReport } from './report.ts';
import { SCENARIOS } from './scenarios.ts';

const USAGE = `${EXAMPLES.bench}

Usage: pnpm bench [options]

Options:
  --quick            every scenario at smaller sizes (under 60 s on 2 cores)
  --json FILE        write the results as JSON (docs/benchmarks.md#json), relative to where pnpm was run
  --svg FILE         write a chart of the ratios as SVG (for the README: docs/bench-ratios.svg)
  --markdown FILE    write the README's results table as markdown ('-': print it after the table)
  --only ID[,ID]     run only these scenarios
  --threads N        worker threads of every pool (default: available parallelism, ${availableParallelism()})
  -h, --help         show this help

Scenarios:
${SCENARIOS.map((s) => `  ${s.id.padEnd(20)} ${s.title}`).join('\n')}`;

class UsageError extends Error {}

interface CliOptions {
  readonly quick: boolean;
  readonly json: string | undefined;
  readonly svg: string | undefined;
  readonly markdown: string | undefined;
  readonly only: readonly string[] | undefined;
  readonly threads: number;
  readonly help: boolean;
}

function parseCli(argv: readonly string[]): CliOptions {
  // `pnpm bench -- --quick` passes the `--` through; nothing here is positional, so drop it.
  const args = argv.filter((arg) => arg !== '--');
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        svg: { type: 'string' },
        markdown: { type: 'string' },
        only: { type: 'string' },
        threads: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`--threads must be an integer ≥ 1, got ${values.threads}`);
  }
  let only: string[] | undefined;
  if (values.only !== undefined) {
    only = values.only
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id.length > 0);
    const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
    if (unknown.length > 0 || only.length === 0) {
      throw new UsageError(
        `--only: unknown scenario ${unknown.join(', ') || '(none given)'}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`,
      );
    }
  }
  for (const option of ['json', 'svg', 'markdown'] as const) {
    if (values[option] === '') throw new UsageError(`--${option} needs a file name`);
  }
  return {
    quick: values.quick,
    json: values.json,
    svg: values.svg,
    markdown: values.markdown,
    only,
    threads,
    help: values.help,
  };
}

/** Other processes competing for the cores make every figure noisy: say so before starting (ratios suffer least). */
function warnIfBusy(at: string): void {
  const [load = 0] = loadavg();
  const cores = cpus().length;
  if (load > cores / 2) {
    process.stderr.write(`${at} warning: machine busy (1-min load average ${load.toFixed(1)} on ${cores} cpus)\n`);
  }
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // pnpm --filter runs the script in the package folder; INIT_CWD is where pnpm itself was run.
  const outputPath = (file: string | undefined): string | undefined =>
    file === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), file);
  const jsonPath = outputPath(options.json);
  const svgPath = outputPath(options.svg);
  const markdownPath = options.markdown === '-' ? undefined : outputPath(options.markdown);
  const selected = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id));
  const mode = options.quick ? 'quick' : 'full';

  const started = performance.now();
  const clock = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  process.stderr.write(
    `${clock()} bench (${mode}): ${selected.map((s) => s.id).join(', ')} on ${options.threads} threads\n`,
  );

  warnIfBusy(clock());

  const reports: ScenarioReport[] = [];
  let failed = 0;
  for (const scenario of selected) {
    const context: BenchContext = {
      quick: options.quick,
      threads: options.threads,
      progress: (line) => process.stderr.write(`${clock()} ${scenario.id}: ${line}\n`),
    };
    context.progress('start');
    try {
      const outcome = await scenario.run(context);
      reports.push({ id: scenario.id, params: outcome.params, results: outcome.results, ratios: outcome.ratios });
      context.progress('done');
    } catch (error) {
      failed++;
      process.stderr.write(
        `${clock()} ${scenario.id}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
  }

  const report: BenchReport = {
    formatVersion: 1,
    machine: { cpus: cpus().length, node: process.version, threads: options.threads },
    scenarios: reports,
  };
  process.stdout.write(`\n${formatTable(report, mode)}\n`);
  if (options.markdown === '-') process.stdout.write(`\n${formatMarkdown(report, mode)}\n`);
  const write = async (path: string | undefined, content: string): Promise<void> => {
    if (path === undefined) return;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    process.stderr.write(`${clock()} wrote ${path}\n`);
  };
  await write(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await write(svgPath, renderRatioChart(report, mode));
  await write(markdownPath, `${formatMarkdown(report, mode)}\n`);
  process.stderr.write(`${clock()} finished${failed > 0 ? `, ${failed} scenario(s) FAILED` : ''}\n`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
