/**
 * Starts `superstep-host` processes as children of this one — what separate machines do in a real
 * deployment (docs/distributed.md) — and stops them. Used by the distributed example and the
 * `remote-overhead` benchmark. Each caller passes a membership bucket of its own, so hosts started
 * elsewhere on the same NATS server never join its host set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The `superstep-host` command of the installed runtime package. */
const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@superstep/runtime/package.json')),
  'bin/superstep-host.mjs',
);

export interface HostProcesses extends AsyncDisposable {
  /** The hosts' ids, in start order. */
  readonly hostIds: readonly string[];
  /** The membership bucket they announce themselves in. */
  readonly bucket: string;
  /** SIGTERMs every host (they leave the bucket) and waits for them; SIGKILLs one still there after 5 s. */
  stop(): Promise<void>;
}

/** A bucket name of its own for one caller. */
export function privateBucket(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

function startOne(args: readonly string[], hostId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, ...args, '--id', hostId], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.includes(' ready ')) resolve(child);
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`superstep-host ${hostId} exited (${String(code ?? signal)}) before it was ready`));
    });
  });
}

async function stopOne(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `count` hosts with `threads` threads each, serving the modules under `root`.
 *
 * @example
 * await using hosts = await startHostProcesses({ count: 2, threads: 1, root: '/srv/app', bucket: 'demo' });
 */
export async function startHostProcesses(options: {
  readonly count: number;
  readonly threads: number;
  readonly root: string;
  readonly bucket: string;
}): Promise<HostProcesses> {
  const { count, threads, root, bucket } = options;
  const args = ['--threads', String(threads), '--root', root, '--bucket', bucket, '--heartbeat-ms', '200'];
  const hostIds = Array.from({ length: count }, (_, index) => `${bucket}-h${String(index + 1)}`);
  const started = await Promise.allSettled(hostIds.map((hostId) => startOne(args, hostId)));
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    await Promise.all(children.map(stopOne));
  };
  // Whatever ends this process (an error, process.exit), its hosts do not outlive it.
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return { hostIds, bucket, stop, [Symbol.asyncDispose]: stop };
}
