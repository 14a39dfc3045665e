/**
 * Remote actor hosts for the benchmarks: `superstep-host` child processes on the local NATS server, and a
 * host set connected to them (docs/distributed.md). Start-up is measured apart from the timed runs.
 */
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connectHosts, type NatsHostSet } from '@superstep/runtime/nats';
import { privateBucket, startHostProcesses } from '../distributed/host-processes.ts';

export const NATS_SERVERS = process.env.SUPERSTEP_BENCH_NATS ?? 'nats://127.0.0.1:4222';
/** The examples' sources: the hosts' root, and what executor modules are named against. */
const ROOT = new URL('../', import.meta.url);

/** True if the NATS server's port answers. */
export async function natsAnswers(): Promise<boolean> {
  const { hostname, port } = new URL(NATS_SERVERS);
  return await new Promise<boolean>((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 4222) });
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
  });
}

export interface RemoteHosts {
  readonly set: NatsHostSet;
  close(): Promise<void>;
}

/** Starts `count` host processes of `threads` threads each and connects a host set to them. */
export async function startRemoteHosts(count: number, threads: number): Promise<RemoteHosts> {
  const bucket = privateBucket('bench');
  const processes = await startHostProcesses({ count, threads, root: fileURLToPath(ROOT), bucket });
  try {
    const set = await connectHosts({ servers: NATS_SERVERS, bucket, moduleRoot: ROOT, minHosts: count });
    return {
      set,
      async close() {
        await set.close();
        await processes.stop();
      },
    };
  } catch (error) {
    await processes.stop();
    throw error;
  }
}
