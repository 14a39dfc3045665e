/**
 * The requests of one instance waiting for a human (guarantees 17–21): which are pending, which were answered,
 * and the checks an answer passes before it is recorded. An accepted answer becomes a message to the
 * requesting executor's `onResponse` in the next superstep, and wakes a run waiting for answers.
 */
import { findUnserializable } from '../../shared/codec.ts';
import { SuperstepError } from '../../shared/errors.ts';
import { RESPONSE_SOURCE } from '../../shared/protocol.ts';
import type { PendingRequest } from './coordinator-types.ts';
import type { Envelope } from './router.ts';

export interface RequestBookOptions {
  /**
   * The executor's own check of an answer (its response schema, or its child's for a sub-workflow node).
   * Resolves to the accepted value; rejects with `RESPONSE_INVALID`.
   */
  readonly check: (request: PendingRequest, value: unknown) => Promise<unknown>;
  /** Queues an accepted answer for the next superstep. */
  readonly deliver: (envelope: Envelope) => void;
}

export class RequestBook {
  /** Requests waiting for answers, in the order they were made (guarantee 17). */
  readonly pending = new Map<string, PendingRequest>();
  /** Ids answered since the last reset/restore, so a second answer is told apart from an unknown id. */
  private readonly answered = new Set<string>();
  /** Ids whose answer is being checked right now (a concurrent second answer is refused). */
  private readonly answering = new Set<string>();
  /** Wakes a run waiting for answers. */
  private wake: (() => void) | undefined;

  constructor(private readonly options: RequestBookOptions) {}

  /** Whether `requestId` is pending or was answered: a new request may not reuse it. */
  knows(requestId: string): boolean {
    return this.pending.has(requestId) || this.answered.has(requestId);
  }

  add(request: PendingRequest): void {
    this.pending.set(request.requestId, request);
  }

  /** Replaces the pending requests (restore, reset); forgets what was answered. */
  replace(requests: readonly PendingRequest[]): void {
    this.pending.clear();
    for (const request of requests) this.pending.set(request.requestId, request);
    this.answered.clear();
  }

  /**
   * Checks an answer to a pending request without recording it (a parent validating for its child).
   * Resolves to the accepted value.
   */
  async validate(requestId: string, value: unknown): Promise<unknown> {
    const request = this.pending.get(requestId);
    if (request === undefined) {
      if (this.answered.has(requestId)) throw alreadyAnswered(requestId);
      throw new SuperstepError('REQUEST_UNKNOWN', `no pending request "${requestId}"`, { details: { requestId } });
    }
    const unserializable = findUnserializable(value);
    if (unserializable !== undefined) {
      throw new SuperstepError('RESPONSE_INVALID', `answer to "${requestId}" cannot be serialised: ${unserializable}`, {
        details: { requestId, executorId: request.executorId, issues: [unserializable] },
      });
    }
    return await this.options.check(request, value);
  }

  /**
   * Answers a pending request (guarantees 18, 20): checked first — unknown id, second answer, a value the
   * executor's schema rejects — and only then recorded, so a refused answer changes nothing. The answer
   * is delivered to the executor's `onResponse` in the next superstep.
   */
  async respond(requestId: string, value: unknown): Promise<void> {
    if (this.answering.has(requestId)) throw alreadyAnswered(requestId);
    this.answering.add(requestId);
    let accepted: unknown;
    try {
      accepted = await this.validate(requestId, value);
    } finally {
      this.answering.delete(requestId);
    }
    this.record(requestId, accepted);
  }

  /**
   * Answers several requests at once: all are checked before any is recorded, so one refused answer
   * leaves every request pending (guarantee 20).
   */
  async respondAll(responses: ReadonlyMap<string, unknown>): Promise<void> {
    const ids = [...responses.keys()];
    const busy = ids.find((requestId) => this.answering.has(requestId));
    if (busy !== undefined) throw alreadyAnswered(busy);
    // Hold every id while checking, so a concurrent respond() to one of them is refused, not interleaved.
    for (const requestId of ids) this.answering.add(requestId);
    const accepted = new Map<string, unknown>();
    try {
      for (const [requestId, value] of responses) accepted.set(requestId, await this.validate(requestId, value));
    } finally {
      for (const requestId of ids) this.answering.delete(requestId);
    }
    for (const [requestId, value] of accepted) this.record(requestId, value);
  }

  /** Resolves when an answer arrives or the run is cancelled. No polling: an answer wakes it. */
  answers(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Records a checked answer; it is delivered to the executor's `onResponse` in the next superstep. */
  private record(requestId: string, accepted: unknown): void {
    const request = this.pending.get(requestId);
    if (request === undefined) throw alreadyAnswered(requestId);
    this.pending.delete(requestId);
    this.answered.add(requestId);
    this.options.deliver({
      source: RESPONSE_SOURCE,
      target: request.executorId,
      payload: { requestId, request: request.data, value: accepted },
    });
    this.wake?.();
  }
}

function alreadyAnswered(requestId: string): SuperstepError {
  return new SuperstepError('REQUEST_ALREADY_ANSWERED', `request "${requestId}" was already answered`, {
    details: { requestId },
  });
}
