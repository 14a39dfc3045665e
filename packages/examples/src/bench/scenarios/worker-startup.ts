/**
 * `worker-startup`: what a cold start costs, in a fresh `node` process each time — import the compiled
 * runtime, start a pool of `threads` workers, build a one-executor workflow (every worker imports the executor
 * module) and run it once. Three systems:
 * - `superstep`: the compiled runtime and a JavaScript executor module, as an installed package runs: no tsx.
 * - `superstep+tsx`: the same with the executor module in TypeScript, so every worker registers tsx first.
 * - `superstep-sources`: the runtime from its TypeScript sources under tsx, as this workspace's tests run.
 * Ratios: `superstep+tsx/superstep` and `superstep-sources/superstep` (time), and the process's resident
 * memory at the end of each (`rssMb`, workers included). Needs `pnpm build` first (`pnpm bench` does it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { measureInterleaved, ratio, row, type Contender, type Scenario } from '../harness.ts';

const run = promisify(execFile);
const here = new URL('../startup/', import.meta.url);
const compiled = new URL('../../../../runtime/dist/index.js', import.meta.url);
const sources = new URL('../../../../runtime/src/index.ts', import.meta.url);
const compiledExecutor = new URL('../../../../runtime/dist/executor.js', import.meta.url);

/**
 * Writes the executor module, in JavaScript and in TypeScript, into `dir`. It imports the compiled runtime by
 * URL, as an installed package resolves (inside this workspace the package name resolves to sources).
 */
function writeExecutors(dir: string): { javascript: string; typescript: string } {
  const source = (types: string) =>
    `import { defineExecutor } from '${compiledExecutor.href}';\n` +
    `export const echo = defineExecutor${types}({ handle: (value, ctx) => { ctx.yieldOutput(value); } });\n`;
  writeFileSync(join(dir, 'echo.mjs'), source(''));
  writeFileSync(join(dir, 'echo.ts'), source('<number, never>'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return { javascript: join(dir, 'echo.mjs'), typescript: join(dir, 'echo.ts') };
}

export const workerStartup: Scenario = {
  id: 'worker-startup',
  title: 'cold start in a fresh process: compiled runtime, with a JavaScript vs a TypeScript (tsx) executor module',
  async run({ quick, threads, progress }) {
    if (!existsSync(fileURLToPath(compiled))) {
      throw new Error('worker-startup: packages/runtime/dist is missing: run `pnpm build` first');
    }
    const dir = mkdtempSync(join(tmpdir(), 'superstep-startup-'));
    const modules = writeExecutors(dir);
    const rss = new Map<string, number[]>();
    const sample = (name: string, nodeArgs: string[], runtime: URL, module: string): Contender => ({
      name,
      async once() {
        const child = fileURLToPath(new URL('child.mjs', here));
        const { stdout } = await run(process.execPath, [...nodeArgs, child, runtime.href, module, String(threads)], {
          timeout: 60_000,
        });
        const { startupMs, rssMb } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
          startupMs: number;
          rssMb: number;
        };
        rss.set(name, [...(rss.get(name) ?? []), rssMb]);
        return startupMs;
      },
    });
    const contenders = [
      sample('superstep', [], compiled, pathToFileURL(modules.javascript).href),
      sample('superstep+tsx', [], compiled, pathToFileURL(modules.typescript).href),
      sample('superstep-sources', ['--import', 'tsx'], sources, pathToFileURL(modules.javascript).href),
    ];
    const repetitions = quick ? { warmup: 1, reps: 3 } : { warmup: 1, reps: 9 };
    let samples: Map<string, number[]>;
    try {
      samples = await measureInterleaved(contenders, repetitions, progress);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const times = new Map(contenders.map(({ name }) => [name, row(name, 'startupMs', samples.get(name) ?? [])]));
    const ratios: Record<string, number> = {};
    for (const name of ['superstep+tsx', 'superstep-sources']) {
      const value = ratio(times.get(name), times.get('superstep'));
      if (value !== undefined) ratios[`${name}/superstep`] = value;
    }
    return {
      params: { threads },
      results: [
        ...times.values(),
        ...contenders.map(({ name }) => row(name, 'rssMb', (rss.get(name) ?? []).slice(repetitions.warmup))),
      ],
      ratios,
    };
  },
};
