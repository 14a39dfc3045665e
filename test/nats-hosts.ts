/**
 * Real `superstep-host` processes on the local NATS server, for the tests of remote actor hosts
 * (docs/distributed.md). Each test file uses its own membership bucket, so hosts of another file — or of
 * another checkout testing on the same server — never join its host sets.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startScript, type Child } from './child-process.ts';

export const NATS_URL = 'nats://127.0.0.1:4222';
const BIN = new URL('../packages/runtime/bin/superstep-host.mjs', import.meta.url);
/** The test package's directory: the hosts' `--root` and the coordinators' `moduleRoot`. */
export const TEST_ROOT = new URL('./', import.meta.url);

/** True if something answers on NATS's port (a test file skips, and says so, when nothing does). */
export async function natsAnswers(): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 4222 });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.setTimeout(1000, () => {
      done(false);
    });
  });
}

/** A bucket name of its own for one test file. */
export function uniqueBucket(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export interface HostChild extends Child {
  readonly hostId: string;
}

/** Starts one `superstep-host` process and waits until it serves. */
export async function startHost(options: {
  readonly bucket: string;
  readonly hostId: string;
  readonly threads?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
}): Promise<HostChild> {
  const args = [
    '--servers',
    NATS_URL,
    '--bucket',
    options.bucket,
    '--id',
    options.hostId,
    '--threads',
    String(options.threads ?? 1),
    '--heartbeat-ms',
    '100',
    ...(options.args ?? ['--root', new URL('.', TEST_ROOT).pathname]),
  ];
  const child = startScript(BIN, args, { env: { ...process.env, ...options.env }, fallbackMs: 180_000 });
  await child.waitFor(/ready/);
  return Object.assign(child, { hostId: options.hostId });
}
