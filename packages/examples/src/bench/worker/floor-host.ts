/**
 * The worker side of the superstep-overhead floor: as little as a batched actor host can do. Per step it
 * receives one msgpack batch of `[actor, remaining]` messages, "handles" each (no work: the next message
 * is `remaining - 1`, until 1), and replies with one msgpack batch of what its actors sent. Routing is the
 * main thread's job, as in the runtime.
 */
import { pack, unpack } from 'msgpackr';
import { floorTransferList } from '../floor-transfer.ts';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

if (isMainThread || parentPort === null) throw new Error('bench/worker/floor-host.ts runs only inside a worker thread');
const port = parentPort;

/** A message: the sending (or receiving) actor's index and the steps left. */
export type FloorMessage = [actor: number, remaining: number];

/**
 * The spin floor's wait (`spinMicros` > 0): after replying, poll the port for the next batch this long
 * before going back to sleep, so a batch that comes soon finds the thread awake — no wake-up on either side.
 */
const spinMicros = (workerData as { spinMicros?: number } | null)?.spinMicros ?? 0;

function handle(bytes: Uint8Array): void {
  const inbox = unpack(bytes) as FloorMessage[];
  const outbox: FloorMessage[] = [];
  for (const [actor, remaining] of inbox) if (remaining > 1) outbox.push([actor, remaining - 1]);
  // pack() returns a view into msgpackr's shared scratch buffer: copy before posting (docs/design.md#the-codec).
  const reply = new Uint8Array(pack(outbox));
  port.postMessage(reply, floorTransferList(reply));
}

port.on('message', (bytes: Uint8Array) => {
  handle(bytes);
  for (let next = spin(); next !== undefined; next = spin()) handle(next);
});

/** The next batch if it arrives within `spinMicros`, polled synchronously. */
function spin(): Uint8Array | undefined {
  if (spinMicros <= 0) return undefined;
  const until = performance.now() + spinMicros / 1000;
  do {
    const received = receiveMessageOnPort(port);
    if (received !== undefined) return received.message as Uint8Array;
  } while (performance.now() < until);
  return undefined;
}
port.postMessage('ready');
