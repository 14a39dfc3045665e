/**
 * The crash-resume example for real: `main.ts` runs in child processes (worker threads and all), with a
 * real SQLite file; one child is killed with SIGKILL after a known checkpoint and a second one resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LANES, simulate } from './work.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** Where `tsx` resolves from (the examples package). */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const JOB = { rounds: 5, lanes: LANES, iterations: 200_000 };
const JOB_ARGS = ['--rounds', String(JOB.rounds), '--iterations', String(JOB.iterations), '--threads', '2'];

const scratch = mkdtempSync(join(tmpdir(), 'superstep-crash-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** A running `main.ts`: its stdout lines as they come, and how it ended. */
interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: readonly string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (error: Error) => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close' comes after 'exit' and after stdout has been read to its end: every line is in by then.
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      closed = true;
      children.delete(child);
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(`main.ts ended before printing ${String(waiter.pattern)}\n${lines.join('\n')}\n${stderr}`),
        );
      }
      resolve({ code, signal });
    });
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(line);
      if (match === null) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(match);
    }
  });
  return {
    process: child,
    lines,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = lines.map((line) => pattern.exec(line)).find((match) => match !== null);
        if (seen !== undefined) resolve(seen);
        else if (closed) reject(new Error(`main.ts has ended without printing ${String(pattern)}\n${stderr}`));
        else waiters.push({ pattern, resolve, reject });
      }),
  };
}

/** Runs `main.ts` to its end; resolves to its result line's digest and its output. */
async function runToEnd(args: readonly string[]): Promise<{ digest: string; lines: string[] }> {
  const child = start(args);
  const [, digest] = await child.waitFor(/^result: ([0-9a-f]{8}) /);
  expect(await child.exited).toEqual({ code: 0, signal: null });
  return { digest: digest ?? '', lines: child.lines };
}

/** The lines asking the human. */
const asked = (lines: readonly string[]): string[] => lines.filter((line) => line.startsWith('asked: '));

/** Kills a child with SIGKILL once it says it hangs; checks it printed no result. */
async function killWhenHanging(doomed: Child): Promise<void> {
  await doomed.waitFor(/^hanging/);
  doomed.process.kill('SIGKILL');
  expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(doomed.lines.some((line) => line.startsWith('result:'))).toBe(false);
}

describe('crash-resume example', () => {
  const expected = simulate(JOB).digest;
  const supersteps = 2 * JOB.rounds + 2;

  it('a run killed with SIGKILL after checkpoint k resumes from it with resumeLatest() and gives the uninterrupted result', async () => {
    const k = 4;

    // Uninterrupted, in a database of its own.
    const clean = await runToEnd(['--db', join(scratch, 'clean.db'), ...JOB_ARGS]);
    expect(clean.digest).toBe(expected);
    expect(clean.lines).toContain('starting fresh: 5 rounds × 4 lanes × 200000 iterations');
    expect(asked(clean.lines)).toEqual([`asked: publish ${expected}?`]);
    expect(clean.lines).toContain(`result: ${expected} (5 rounds, published)`);
    expect(clean.lines).toContain(`ran ${supersteps} supersteps`);

    // Killed: once it reports checkpoint k it freezes (--hang-after), and we kill -9 it.
    const db = join(scratch, 'crashed.db');
    const doomed = start(['--db', db, ...JOB_ARGS, '--hang-after', String(k)]);
    await doomed.waitFor(new RegExp(`^checkpoint saved: superstep ${k}$`));
    await killWhenHanging(doomed);

    // Started again on the same database: resumes from checkpoint k, runs only what was left.
    const resumed = await runToEnd(['--db', db, ...JOB_ARGS]);
    expect(resumed.lines[0]).toMatch(new RegExp(`^resumed from superstep ${k} \\(barrier checkpoint `));
    expect(resumed.lines).not.toContain(`checkpoint saved: superstep ${k}`);
    expect(resumed.lines).toContain(`checkpoint saved: superstep ${k + 1}`);
    expect(resumed.lines).toContain(`ran ${supersteps - k} supersteps`);
    expect(resumed.digest).toBe(expected);

    // That run finished, and its last checkpoint says so: the next start has nothing to resume.
    const again = await runToEnd(['--db', db, ...JOB_ARGS]);
    expect(again.lines[0]).toMatch(/^starting fresh/);
    expect(again.digest).toBe(expected);
  }, 180_000); // four child processes, each starting tsx and a worker pool

  it('a run killed with SIGKILL after the answer was accepted, before the next barrier, is not asked again', async () => {
    const db = join(scratch, 'answered.db');
    // The human says no; the process freezes right after respond() resolved, and we kill -9 it.
    const doomed = start(['--db', db, ...JOB_ARGS, '--answer', 'no', '--hang-after-answer']);
    await doomed.waitFor(/^answer accepted$/);
    await killWhenHanging(doomed);
    expect(asked(doomed.lines)).toEqual([`asked: publish ${expected}?`]);
    // A fresh process, told to answer yes if asked: it is not asked, and the "no" given before the kill stands.
    const resumed = await runToEnd(['--db', db, ...JOB_ARGS, '--answer', 'yes']);
    expect(resumed.lines[0]).toMatch(new RegExp(`^resumed from superstep ${supersteps - 1} \\(response checkpoint `));
    expect(asked(resumed.lines)).toEqual([]);
    expect(resumed.lines).toContain(`result: ${expected} (5 rounds, not published)`);
    expect(resumed.lines).toContain('ran 1 supersteps');
  }, 180_000);
});
