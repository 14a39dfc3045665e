/**
 * The piscina task that turns a pool thread into an actor host. It is long-lived: it resolves only when
 * the coordinator says `stop`, so the thread stays dedicated to its actors, and aborting the task (which
 * makes piscina terminate the thread) is how a hung or cancelled host is killed.
 */
import { isMainThread, type MessagePort } from 'node:worker_threads';
import { decode, encode } from '../shared/codec.ts';
import { serveControl } from '../shared/control-plane.ts';
import { SuperstepError } from '../shared/errors.ts';
import type { MainToHost, StepBatch } from '../shared/protocol.ts';
import { ActorHost } from './actor-host.ts';
import { ignoreUncaughtLateCalls } from './late-calls.ts';

if (isMainThread) {
  throw new Error('superstep: worker/host-task.ts runs only inside a worker thread');
}

/** What the pool sends to start a host (the ports are transferred). */
export interface HostTaskInput {
  readonly dataPort: MessagePort;
  readonly controlPort: MessagePort;
  readonly flushIntervalMs: number;
}

export default async function hostTask(input: HostTaskInput): Promise<'stopped'> {
  const { dataPort, controlPort } = input;
  // Every buffer we post owns its ArrayBuffer (see codec.encode), so transferring it is safe.
  const post = (bytes: Uint8Array): void => {
    dataPort.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  };
  // A leftover callback's late call is refused and reported; uncaught, it must not crash the thread.
  ignoreUncaughtLateCalls();
  const host = new ActorHost({ post, flushIntervalMs: input.flushIntervalMs });
  serveControl(host, controlPort);

  /**
   * Per instance with a batch being handled, the batches waiting behind it: one instance's batches run one
   * after another, in the order sent (a superstep may send several).
   */
  const waiting = new Map<string, StepBatch[]>();
  const run = (batch: StepBatch): void => {
    // A failure here is a bug: it stays unhandled and crashes the thread into the pool.
    void host.step(batch).then((reply) => {
      post(encode(reply));
      const next = waiting.get(batch.instance)?.shift();
      if (next === undefined) waiting.delete(batch.instance);
      else run(next);
    });
  };
  return await new Promise<'stopped'>((resolve) => {
    dataPort.on('message', (bytes: Uint8Array) => {
      let message: MainToHost;
      try {
        message = decode(bytes) as MainToHost;
      } catch (error) {
        // A batch we cannot read is a protocol bug, not a user error: crash loudly into the pool.
        throw new SuperstepError('INTERNAL', 'actor host received undecodable bytes', { cause: error });
      }
      if (message.op === 'stop') {
        dataPort.close();
        controlPort.close();
        resolve('stopped');
        return;
      }
      const queued = waiting.get(message.instance);
      if (queued !== undefined) queued.push(message);
      else {
        waiting.set(message.instance, []);
        run(message);
      }
    });
  });
}
