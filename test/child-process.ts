/**
 * Runs a TypeScript script of the test package in a child process (`node --import tsx script.ts`), for
 * what only a whole process shows: a SIGKILL, an uncaught exception on the main thread, a handle that keeps
 * the process from exiting. Its stdout is read line by line as it comes.
 *
 * `fallbackMs` only keeps a broken runtime from hanging the suite: past it the child is killed, and the
 * test fails on what the child did (or did not) print, never on time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The test package: `tsx` resolves from here. */
const TEST_DIR = fileURLToPath(new URL('.', import.meta.url));

const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (call in `afterEach`/`afterAll`, so none outlives its test). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the fallback, not the test, killed it. */
  readonly timedOut: boolean;
  readonly stderr: string;
}

export interface Child {
  /** Its stdout, one entry per line, as they come. */
  readonly lines: readonly string[];
  /** Resolves with the first line matching `pattern`; rejects if the process ends without one. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  readonly exited: Promise<Exit>;
  kill(signal?: NodeJS.Signals): void;
}

export function startScript(
  script: URL,
  args: readonly string[] = [],
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly fallbackMs?: number;
    /** Flags for node itself, before the script (e.g. `--expose-gc`). */
    readonly nodeArgs?: readonly string[];
  } = {},
): Child {
  const nodeArgs = options.nodeArgs ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(script), ...args], {
    cwd: TEST_DIR,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  let stderr = '';
  let closed = false;
  let timedOut = false;
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (error: Error) => void }[] = [];
  const fallback = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.fallbackMs ?? 60_000);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(line);
      if (match === null) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(match);
    }
  });
  // 'close' comes after 'exit' and after stdout has been read to its end: every line is in by then.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      closed = true;
      clearTimeout(fallback);
      live.delete(child);
      const exit = { code, signal, timedOut, stderr };
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(`the child ended (${JSON.stringify(exit)}) without printing ${String(waiter.pattern)}`),
        );
      }
      resolve(exit);
    });
  });
  return {
    lines,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = lines.map((line) => pattern.exec(line)).find((match) => match !== null);
        if (seen !== undefined) resolve(seen);
        else if (closed) reject(new Error(`the child has ended without printing ${String(pattern)}\n${stderr}`));
        else waiters.push({ pattern, resolve, reject });
      }),
  };
}
