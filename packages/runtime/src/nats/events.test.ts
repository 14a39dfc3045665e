/**
 * Run events on a JetStream stream, against the real local server (skipped, with a warning naming the URL,
 * only if none answers): what is published is observed in order, from a run's first event to its final
 * status, whether the observer came before the run, during it, or asks for it by id afterwards; bytes that
 * are not a run event are a typed error. Each test uses its own stream, deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowEvent } from '../shared/events.ts';
import { natsEventStream, type NatsEventStream } from './events.ts';
import { natsToken } from './nats-client.ts';
import { NATS_URL, probeNats } from './fixtures/nats-probe.ts';

const nats = await probeNats();
if (!nats.reachable) console.warn(`No NATS server at ${NATS_URL} (${nats.reason}): skipping the NATS event tests.`);

/** A run's events as a coordinator emits them. */
function runEvents(runId: string, outputs: number): WorkflowEvent[] {
  return [
    { type: 'run.started', runId },
    { type: 'status', status: 'running', final: false },
    ...Array.from({ length: outputs }, (_, i): WorkflowEvent => ({
      type: 'output',
      executorId: 'x',
      superstep: i + 1,
      data: { i, runId },
    })),
    { type: 'status', status: 'idle', final: true },
  ];
}

/** Resolves once the stream has a consumer: an observer is set up and will see what comes next. */
async function untilObserved(stream: string): Promise<void> {
  const connection = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(connection);
    while ((await jsm.consumers.list(stream).next()).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await connection.close();
  }
}

async function collect(events: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const seen: WorkflowEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe.skipIf(!nats.reachable)(`NATS run events at ${NATS_URL}`, () => {
  const streams: string[] = [];
  const opened: NatsEventStream[] = [];
  const open = (): { publisher: NatsEventStream; observer: NatsEventStream; stream: string } => {
    const stream = `SUPERSTEP_TEST_${process.pid}_${randomBytes(3).toString('hex')}`;
    const subjectPrefix = `superstep.test.${stream}`;
    streams.push(stream);
    const publisher = natsEventStream({ servers: NATS_URL, stream, subjectPrefix });
    const observer = natsEventStream({ servers: NATS_URL, stream, subjectPrefix });
    opened.push(publisher, observer);
    return { publisher, observer, stream };
  };
  const publish = async (
    publisher: NatsEventStream,
    events: readonly WorkflowEvent[],
    runId: string,
  ): Promise<void> => {
    for (const event of events) publisher.publish(event, { instance: 'orders', runId });
    await publisher.flush();
  };

  afterAll(async () => {
    await Promise.allSettled(opened.map((events) => events.close()));
    const connection = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(connection);
    await Promise.allSettled(streams.map((stream) => jsm.streams.delete(stream)));
    await connection.close();
  });

  it('an observer that comes first follows the next run, in order, to its final status', async () => {
    const { publisher, observer, stream } = open();
    // The stream exists (the publisher made it) and holds an earlier, finished run.
    await publish(publisher, runEvents('r0', 1), 'r0');
    const following = collect(observer.observe('orders'));
    await untilObserved(stream);
    await publish(publisher, runEvents('r1', 30), 'r1');
    expect(await following).toEqual(runEvents('r1', 30));
  });

  it('an observer that comes during a run gets it from its first event; runId picks a finished one', async () => {
    const { publisher, observer } = open();
    await publish(publisher, runEvents('r1', 2), 'r1');
    const r2 = runEvents('r2', 5);
    await publish(publisher, r2.slice(0, 4), 'r2');
    const iterator = observer.observe('orders')[Symbol.asyncIterator]();
    // The first event arrives once the observer is set up: only then does the run go on.
    const seen = [(await iterator.next()).value];
    await publish(publisher, r2.slice(4), 'r2');
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) seen.push(next.value);
    expect(seen).toEqual(r2);
    expect(await collect(observer.observe('orders', { runId: 'r1' }))).toEqual(runEvents('r1', 2));
    // Another instance's runs are not mixed in.
    for (const event of runEvents('x1', 1)) publisher.publish(event, { instance: 'invoices', runId: 'x1' });
    expect(await collect(observer.observe('invoices', { runId: 'x1' }))).toEqual(runEvents('x1', 1));
  });

  it('a message on a run subject that is not a run event is DECODE_FAILED, not a crash; abort stops following', async () => {
    const { publisher, observer, stream } = open();
    await publish(publisher, runEvents('r1', 1).slice(0, 2), 'r1');
    const connection = await connect({ servers: NATS_URL });
    try {
      await jetstream(connection).publish(
        `superstep.test.${stream}.${natsToken('orders')}.${natsToken('r1')}`,
        'garbage',
      );
      await expect(collect(observer.observe('orders', { runId: 'r1' }))).rejects.toMatchObject({
        code: 'DECODE_FAILED',
      });
    } finally {
      await connection.close();
    }
    const controller = new AbortController();
    const following = collect(observer.observe('nobody', { signal: controller.signal }));
    setTimeout(() => {
      controller.abort();
    }, 100);
    expect(await following).toEqual([]);
  });
});
