/**
 * The worker side of the superstep-overhead floor: as little as a batched actor host can do. Per step it
 * receives one msgpack batch of `[actor, remaining]` messages, "handles" each (no work: the next message
 * is `remaining - 1`, until 1), and replies with one msgpack batch of what its actors sent. Routing is the
 * main thread's job, as in the runtime.
 */
import { pack, unpack } from 'msgpackr';
import { isMainThread, parentPort } from 'node:worker_threads';

if (isMainThread || parentPort === null) throw new Error('bench/worker/floor-host.ts runs only inside a worker thread');
const port = parentPort;

/** A message: the sending (or receiving) actor's index and the steps left. */
export type FloorMessage = [actor: number, remaining: number];

port.on('message', (bytes: Uint8Array) => {
  const inbox = unpack(bytes) as FloorMessage[];
  const outbox: FloorMessage[] = [];
  for (const [actor, remaining] of inbox) if (remaining > 1) outbox.push([actor, remaining - 1]);
  // pack() returns a view into msgpackr's shared scratch buffer: copy before transferring (docs/design.md#the-codec).
  const reply = new Uint8Array(pack(outbox));
  port.postMessage(reply, [reply.buffer]);
});
port.postMessage('ready');
