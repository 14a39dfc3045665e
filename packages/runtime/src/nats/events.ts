/**
 * Run events on a JetStream stream (issue #15 item 5): a workflow built with `events: natsEventStream(…)`
 * publishes every event of every run, in order, as codec bytes on `<prefix>.<instance>.<runId>` (names
 * encoded as NATS tokens); `observe(instance)` in any process follows one run of that instance from its
 * first event to its final status, as the same `WorkflowEvent` union the run handle yields.
 */
import { SuperstepError } from '../shared/errors.ts';
import { encode } from '../shared/codec.ts';
import type { WorkflowEvent } from '../shared/events.ts';
import { optionsObject } from '../shared/options.ts';
import type { RunEventOrigin, RunEventSink } from '../main/run/run-event-sink.ts';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkConnectionOptions,
  connectNats,
  loadJetStream,
  natsToken,
  type NatsConnectionOptions,
} from './nats-client.ts';
import { followRun, type ObserveOptions, type OpenStream } from './observe.ts';

export interface NatsEventStreamOptions extends NatsConnectionOptions {
  /** The JetStream stream, created if missing (file storage). Default `SUPERSTEP_EVENTS`. */
  readonly stream?: string;
  /** Subjects are `<subjectPrefix>.<instance>.<runId>`; the stream must take `<subjectPrefix>.>`. Default `superstep.events`. */
  readonly subjectPrefix?: string;
  /** How long the stream keeps events, when this call creates it. Default one day. */
  readonly maxAgeMs?: number;
  /** Where failed publishes are reported. Default `console`. */
  readonly logger?: Pick<Console, 'warn'>;
}

/** A run event stream: pass it to `build({ events })` to publish, call `observe()` to follow. */
export interface NatsEventStream extends RunEventSink, AsyncDisposable {
  /**
   * Follows one run of `instance`: the one in progress (from its first event), or else the next one to
   * start. Ends after the run's final `status` event; breaking out of the loop or aborting `signal` stops it.
   */
  observe(instance: string, options?: ObserveOptions): AsyncIterable<WorkflowEvent>;
  /** Waits for publishes in flight, then closes the connection if this stream opened it. Idempotent. */
  close(): Promise<void>;
}

const NEEDED_FOR = 'the NATS run event stream';
const DAY_MS = 86_400_000;

/**
 * Run events on a JetStream stream, for observers in other processes. Connects on first use.
 *
 * @example
 * import { natsEventStream } from '@superstep/runtime/nats';
 * // the coordinator
 * await using events = natsEventStream({ servers: 'nats://127.0.0.1:4222' });
 * const workflow = await builder.build({ name: 'orders', events });
 * // any other process
 * for await (const event of natsEventStream({ servers: 'nats://127.0.0.1:4222' }).observe('orders')) {
 *   if (event.type === 'output') console.log(event.data);
 * }
 */
export function natsEventStream(given: NatsEventStreamOptions): NatsEventStream {
  const options = resolveStreamOptions(given);
  const logger = options.logger ?? console;
  let opened: Promise<{ connection: NatsConnection; open: OpenStream }> | undefined;
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const open = (): Promise<{ connection: NatsConnection; open: OpenStream }> =>
    (opened ??= openStream(options).catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
  const report = (error: unknown, what: string): void => {
    logger.warn(`superstep: ${what} was not published to NATS stream "${options.stream}": ${String(error)}`);
  };
  const events: NatsEventStream = {
    publish(event, origin: RunEventOrigin) {
      if (closed) return;
      const subject = `${options.subjectPrefix}.${natsToken(origin.instance)}.${natsToken(origin.runId)}`;
      const what = `event ${event.type} of run ${origin.runId}`;
      let bytes: Uint8Array;
      try {
        bytes = encode(event);
      } catch (error) {
        report(error, what);
        return;
      }
      // Published in call order on one connection, so the stream stores them in order; acks come later.
      const published = open()
        .then(({ open: { js } }) => js.publish(subject, bytes))
        .catch((error: unknown) => {
          report(error, what);
        });
      inFlight.add(published);
      void published.finally(() => inFlight.delete(published));
    },
    async flush() {
      await Promise.all([...inFlight]);
    },
    observe(instance, observeOptions) {
      return followRun({ open: async () => (await open()).open, instance, options: observeOptions });
    },
    async close() {
      if (closed) return;
      closed = true;
      await events.flush();
      const current = opened;
      opened = undefined;
      if (current === undefined) return;
      const { connection } = await current.catch(() => ({ connection: undefined }));
      await connection?.close();
    },
    [Symbol.asyncDispose]: () => events.close(),
  };
  return events;
}

type ResolvedStreamOptions = NatsEventStreamOptions & {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly maxAgeMs: number;
};

function resolveStreamOptions(given: NatsEventStreamOptions): ResolvedStreamOptions {
  const options = optionsObject(given);
  checkConnectionOptions(options);
  const invalid = (option: string, must: string): SuperstepError =>
    new SuperstepError('INVALID_OPTION', `options.${option} must be ${must}`, {
      details: { option: `options.${option}` },
    });
  const { stream = 'SUPERSTEP_EVENTS', subjectPrefix = 'superstep.events', maxAgeMs = DAY_MS } = options;
  if (typeof stream !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw invalid('stream', '1–64 letters, digits, "_" or "-"');
  }
  if (typeof subjectPrefix !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix)) {
    throw invalid('subjectPrefix', 'dot-separated tokens of letters, digits, "_" or "-"');
  }
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 1000) throw invalid('maxAgeMs', 'an integer of at least 1000');
  return { ...options, stream, subjectPrefix, maxAgeMs };
}

/** Connects and makes sure the stream exists and takes our subjects. */
async function openStream(options: ResolvedStreamOptions): Promise<{ connection: NatsConnection; open: OpenStream }> {
  const { jetstream, jetstreamManager } = await loadJetStream(NEEDED_FOR);
  const connection = await connectNats(options, NEEDED_FOR);
  const subjects = `${options.subjectPrefix}.>`;
  try {
    const jsm = await jetstreamManager(connection);
    const info = await jsm.streams.info(options.stream).catch(() => undefined);
    if (info === undefined) {
      await jsm.streams.add({ name: options.stream, subjects: [subjects], max_age: options.maxAgeMs * 1_000_000 });
    } else if (!info.config.subjects.includes(subjects)) {
      throw new SuperstepError(
        'INVALID_OPTION',
        `stream "${options.stream}" exists and does not take "${subjects}" (it takes ${String(info.config.subjects)})`,
        { details: { option: 'options.subjectPrefix', stream: options.stream } },
      );
    }
    return {
      connection,
      open: { js: jetstream(connection), jsm, stream: options.stream, subjectPrefix: options.subjectPrefix },
    };
  } catch (error) {
    await connection.close().catch(() => undefined);
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError(
      'NATS_UNAVAILABLE',
      `${NEEDED_FOR} cannot open stream "${options.stream}": ${String(error)}`,
      {
        cause: error,
        details: { stream: options.stream },
      },
    );
  }
}
