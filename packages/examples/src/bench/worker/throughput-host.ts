/**
 * The worker side of the message-throughput floor. Two requests:
 * - `{ messages, sinks }`: be the source — make the run's messages as `[sink, message]` pairs and reply
 *   with them as one msgpack buffer (transferred);
 * - a buffer: be the sinks — decode the batch, "handle" each message (count it) and reply with the count.
 */
import { pack, unpack } from 'msgpackr';
import { isMainThread, parentPort } from 'node:worker_threads';
import { throughputMessage, type ThroughputMessage } from '../messages.ts';

if (isMainThread || parentPort === null) {
  throw new Error('bench/worker/throughput-host.ts runs only inside a worker thread');
}
const port = parentPort;

/** A message on its way: the sink it goes to and the message. */
export type Addressed = [sink: number, message: ThroughputMessage];

export interface EmitRequest {
  readonly messages: number;
  readonly sinks: number;
}

port.on('message', (request: EmitRequest | Uint8Array) => {
  if (request instanceof Uint8Array) {
    let handled = 0;
    for (const [sink] of unpack(request) as Addressed[]) if (sink >= 0) handled++;
    port.postMessage(handled);
    return;
  }
  const outbox: Addressed[] = [];
  for (let seq = 0; seq < request.messages; seq++) outbox.push([seq % request.sinks, throughputMessage(seq)]);
  // pack() returns a view into msgpackr's shared scratch buffer: copy before transferring (docs/design.md#the-codec).
  const bytes = new Uint8Array(pack(outbox));
  port.postMessage(bytes, [bytes.buffer]);
});
port.postMessage('ready');
