/**
 * Following one run's events from another process (issue #15 item 5): an ordered JetStream consumer on the
 * instance's subjects, decoded and checked — they are bytes from another process — into the same
 * `WorkflowEvent` union a run handle yields, ending after the run's final status.
 */
// Types only: the client is loaded on first use (nats-client.ts), so a missing package is a typed error.
import type { ConsumerMessages, DeliverPolicy, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { SuperstepError } from '../shared/errors.ts';
import { decodeUntrusted } from '../shared/codec.ts';
import { FRAMEWORK_EVENT_TYPES, type WorkflowEvent } from '../shared/events.ts';
import { optionsObject } from '../shared/options.ts';
import { natsToken } from './nats-client.ts';

/** What `observe` needs of an open stream. */
export interface OpenStream {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subjectPrefix: string;
}

/** Options of `NatsEventStream.observe`. */
export interface ObserveOptions {
  /** Follow this run (from its first event) instead of the one in progress or the next. */
  readonly runId?: string;
  /** Stops following (the loop ends without an error). */
  readonly signal?: AbortSignal;
}

interface Follow {
  readonly open: () => Promise<OpenStream>;
  readonly instance: string;
  readonly options: ObserveOptions | undefined;
}

/** Where a follower starts: which subjects, from which message. */
interface Start {
  readonly subject: string;
  readonly deliver: { deliver_policy: DeliverPolicy; opt_start_seq?: number };
}

export function followRun({ open, instance, options: given }: Follow): AsyncIterable<WorkflowEvent> {
  const options = optionsObject(given);
  if (typeof instance !== 'string' || instance.length === 0) {
    throw new SuperstepError('INVALID_OPTION', 'instance must be a non-empty string', {
      details: { option: 'instance' },
    });
  }
  if (options.runId !== undefined && (typeof options.runId !== 'string' || options.runId.length === 0)) {
    throw new SuperstepError('INVALID_OPTION', 'options.runId must be a non-empty string', {
      details: { option: 'options.runId' },
    });
  }
  return {
    async *[Symbol.asyncIterator]() {
      const stream = await open();
      const start = await whereToStart(stream, instance, options.runId);
      const messages = await consume(stream, start);
      const stop = (): void => {
        void messages.close();
      };
      options.signal?.addEventListener('abort', stop, { once: true });
      try {
        if (options.signal?.aborted === true) return;
        let subject: string | undefined;
        for await (const message of messages) {
          // With a wildcard start, the first run seen is the one followed.
          subject ??= message.subject;
          if (message.subject !== subject) continue;
          const event = toEvent(message);
          yield event;
          if (event.type === 'status' && event.final) return;
        }
      } finally {
        options.signal?.removeEventListener('abort', stop);
        await messages.close();
      }
    },
  };
}

/**
 * The run to follow: the given one from its start; else the instance's latest run if its last event is not
 * a final status (in progress: from its start); else the next run, from the message after the last.
 */
async function whereToStart(stream: OpenStream, instance: string, runId: string | undefined): Promise<Start> {
  const prefix = `${stream.subjectPrefix}.${natsToken(instance)}`;
  if (runId !== undefined) return { subject: `${prefix}.${natsToken(runId)}`, deliver: { deliver_policy: 'all' } };
  const last = await nats(() => stream.jsm.streams.getMessage(stream.stream, { last_by_subj: `${prefix}.*` }), stream);
  if (last === null) return { subject: `${prefix}.*`, deliver: { deliver_policy: 'all' } };
  const event = checkEvent(decodeUntrusted(last.data), last.subject);
  if (event.type === 'status' && event.final) {
    return {
      subject: `${prefix}.*`,
      deliver: { deliver_policy: 'by_start_sequence', opt_start_seq: last.seq + 1 },
    };
  }
  return { subject: last.subject, deliver: { deliver_policy: 'all' } };
}

async function consume(stream: OpenStream, start: Start): Promise<ConsumerMessages> {
  return await nats(async () => {
    const consumer = await stream.js.consumers.get(stream.stream, { filter_subjects: start.subject, ...start.deliver });
    return await consumer.consume();
  }, stream);
}

/** A JetStream call; a failure other than ours is `NATS_UNAVAILABLE`. */
async function nats<T>(call: () => Promise<T>, stream: OpenStream): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError('NATS_UNAVAILABLE', `cannot follow stream "${stream.stream}": ${String(error)}`, {
      cause: error,
      details: { stream: stream.stream },
    });
  }
}

function toEvent(message: JsMsg): WorkflowEvent {
  return checkEvent(decodeUntrusted(message.data), message.subject);
}

/** Bytes from another process: only an object whose `type` is one of the union's gets through. */
function checkEvent(value: unknown, subject: string): WorkflowEvent {
  const type = (value as { type?: unknown } | null)?.type;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof type !== 'string' ||
    !FRAMEWORK_EVENT_TYPES.has(type)
  ) {
    throw new SuperstepError('DECODE_FAILED', `a message on "${subject}" is not a run event`, { details: { subject } });
  }
  return value as WorkflowEvent;
}
