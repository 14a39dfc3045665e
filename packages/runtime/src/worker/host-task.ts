/**
 * The piscina task that turns a pool thread into an actor host. It is long-lived: it resolves only when
 * the coordinator says `stop`, so the thread stays dedicated to its actors, and aborting the task (which
 * makes piscina terminate the thread) is how a hung or cancelled host is killed.
 */
import { isMainThread, type MessagePort } from 'node:worker_threads';
import { serveControl } from '../shared/control-plane.ts';
import { postBytes } from '../shared/post-bytes.ts';
import { ActorHost } from './actor-host.ts';
import { ignoreUncaughtLateCalls } from './late-calls.ts';
import type { RemoteThreadConfig } from './nats-thread.ts';
import { serveHost } from './serve-host.ts';

if (isMainThread) {
  throw new Error('superstep: worker/host-task.ts runs only inside a worker thread');
}

/** What the pool sends to start a host (the ports are transferred). */
export interface HostTaskInput {
  readonly dataPort: MessagePort;
  readonly controlPort: MessagePort;
  readonly flushIntervalMs: number;
  /** Set in a `superstep-host` process: the thread also serves lanes from NATS (worker/nats-thread.ts). */
  readonly remote?: RemoteThreadConfig;
}

export default async function hostTask(input: HostTaskInput): Promise<'stopped'> {
  const { dataPort, controlPort } = input;
  // Every buffer we post owns its ArrayBuffer (see codec.encode), so transferring it is safe (shared/post-bytes.ts).
  const post = (bytes: Uint8Array): void => {
    postBytes(dataPort, bytes);
  };
  // A leftover callback's late call is refused and reported; uncaught, it must not crash the thread.
  ignoreUncaughtLateCalls();
  const host = new ActorHost({ post, flushIntervalMs: input.flushIntervalMs });
  // Control calls come on the control port (comlink), or as codec messages on the data port (loopback).
  serveControl(host, controlPort);
  // Loaded only in a host process, so a plain pool never imports the NATS client.
  const remote =
    input.remote === undefined
      ? undefined
      : await (await import('./nats-thread.ts')).serveOverNats(input.remote, input.flushIntervalMs);
  const stopped = await serveHost(host, {
    post,
    on: (listener) => {
      dataPort.on('message', listener);
    },
    off: (listener) => {
      dataPort.off('message', listener);
    },
  });
  await remote?.();
  dataPort.close();
  controlPort.close();
  return stopped;
}
