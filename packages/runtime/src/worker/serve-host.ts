/**
 * An actor host served over any channel that carries bytes: step batches (one instance's run one after
 * another, in the order they came), control calls sent as codec messages (answered at once, so an abort
 * reaches a running batch), end-of-run commits (applied at once, not answered), and `stop`. The thread entry (host-task.ts) supplies a MessagePort; another
 * transport supplies its own three functions.
 */
import { decode, encode, encodeMessage } from '../shared/codec.ts';
import { answerControl } from '../shared/control-bytes.ts';
import { SuperstepError } from '../shared/errors.ts';
import type { MainToHost, StepBatch } from '../shared/protocol.ts';
import type { ActorHost } from './actor-host.ts';

/** Bytes to and from the coordinator. */
export interface HostChannel {
  post(bytes: Uint8Array): void;
  on(listener: (bytes: Uint8Array) => void): void;
  off(listener: (bytes: Uint8Array) => void): void;
}

/** Serves `host` on `channel` until the coordinator says `stop`. */
export function serveHost(host: ActorHost, channel: HostChannel): Promise<'stopped'> {
  /**
   * Per instance with a batch being handled, the batches waiting behind it: one instance's batches run one
   * after another, in the order sent (a superstep may send several).
   */
  const waiting = new Map<string, StepBatch[]>();
  const run = (batch: StepBatch): void => {
    // A failure here is a bug: it stays unhandled and crashes the host into its pool.
    void host.step(batch).then((reply) => {
      channel.post(encodeMessage(reply));
      const next = waiting.get(batch.instance)?.shift();
      if (next === undefined) waiting.delete(batch.instance);
      else run(next);
    });
  };
  return new Promise<'stopped'>((resolve) => {
    const listener = (bytes: Uint8Array): void => {
      let message: MainToHost;
      try {
        message = decode(bytes) as MainToHost;
      } catch (error) {
        // A batch we cannot read is a protocol bug, not a user error: crash loudly into the pool.
        throw new SuperstepError('INTERNAL', 'actor host received undecodable bytes', { cause: error });
      }
      switch (message.op) {
        case 'stop':
          channel.off(listener);
          resolve('stopped');
          return;
        case 'commit':
          void host.commit(message.instance, message.at);
          return;
        case 'call':
          void answerControl(host, message).then((result) => {
            channel.post(encode(result));
          });
          return;
        case 'step': {
          const queued = waiting.get(message.instance);
          if (queued !== undefined) queued.push(message);
          else {
            waiting.set(message.instance, []);
            run(message);
          }
        }
      }
    };
    channel.on(listener);
  });
}
