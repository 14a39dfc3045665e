/**
 * The `ctx` a handler gets: its actor's state, and the effects it may have (messages, outputs, events,
 * requests, shared-state writes), which go to the current call's {@link EffectSink}.
 */
import { randomUUID } from 'node:crypto';
import { assertSerializable } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { FRAMEWORK_EVENT_TYPES } from '../shared/events.ts';
import type { ExecutorContext, RequestOptions, SendOptions, SharedState } from '../shared/executor-definition.ts';
import type { Actor, Instance } from './instance.ts';
import type { LiveUpdates } from './live-updates.ts';
import { DirectSink, type EffectSink, type StepOutput } from './step-output.ts';

/** The handler's view; one per invocation. */
export class HandlerContext implements ExecutorContext<unknown>, SharedState {
  /** Where the current call's effects go (see {@link EffectSink}). */
  buffer: EffectSink;
  /** The sender of the message being handled. */
  source = '';

  constructor(
    private readonly live: LiveUpdates,
    private readonly instance: Instance,
    readonly output: StepOutput,
    readonly executorId: string,
    readonly superstep: number,
    private readonly actor: Actor | undefined,
  ) {
    this.buffer = new DirectSink(output, executorId);
  }

  get state(): unknown {
    const actor = this.actor;
    if (actor === undefined) return undefined;
    return actor.dirty ? actor.draft : actor.committed;
  }

  setState(next: unknown): void {
    const actor = this.actor;
    if (actor === undefined) {
      throw new SuperstepError('EXECUTOR_STATELESS_STATE', `stateless executor "${this.executorId}" cannot set state`, {
        details: { executorId: this.executorId },
      });
    }
    assertSerializable(next, { executorId: this.executorId, direction: 'state' });
    actor.draft = next;
    actor.dirty = true;
  }

  send(message: unknown, options?: SendOptions): void {
    assertSerializable(message, { executorId: this.executorId, direction: 'message' });
    this.buffer.outbox.push([this.executorId, options?.to ?? null, message]);
  }

  yieldOutput(value: unknown): void {
    assertSerializable(value, { executorId: this.executorId, direction: 'output' });
    this.buffer.outputs.push([this.executorId, value]);
  }

  emit(name: string, data?: unknown): void {
    if (FRAMEWORK_EVENT_TYPES.has(name)) {
      throw new SuperstepError('EVENT_NAME_RESERVED', `executor "${this.executorId}" cannot emit "${name}": reserved`, {
        details: { executorId: this.executorId, name },
      });
    }
    assertSerializable(data, { executorId: this.executorId, direction: 'event' });
    // Streamed as it happens, not held with the attempt's other effects: a handler that emits progress
    // and then awaits I/O must not hold its events back (SPEC 14). A failed attempt's events stay seen.
    this.output.events.push(['custom', this.executorId, name, data]);
    this.live.scheduleFlush(this.instance.key, this.superstep, this.output);
  }

  request(data: unknown, options?: RequestOptions): string {
    assertSerializable(data, { executorId: this.executorId, direction: 'request' });
    const requestId = options?.requestId ?? randomUUID();
    if (typeof requestId !== 'string' || requestId.length === 0) {
      throw new SuperstepError(
        'INVALID_OPTION',
        `executor "${this.executorId}": requestId must be a non-empty string`,
        {
          details: { executorId: this.executorId, option: 'requestId' },
        },
      );
    }
    this.buffer.requests.push([this.executorId, requestId, data]);
    return requestId;
  }

  get shared(): SharedState {
    return this;
  }

  get signal(): AbortSignal {
    return this.instance.abort.signal;
  }

  // SharedState
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- implements SharedState.get<T>
  get<T>(key: string): T | undefined {
    const own = this.ownWrite(key);
    if (own !== undefined) return own.deleted ? undefined : (own.value as T);
    return this.instance.shared.get(key) as T | undefined;
  }
  has(key: string): boolean {
    const own = this.ownWrite(key);
    return own !== undefined ? !own.deleted : this.instance.shared.has(key);
  }
  private ownWrite(key: string): { value: unknown; deleted: boolean } | undefined {
    return this.buffer.ownWrites.get(key) ?? this.output.ownWrites.get(this.executorId)?.get(key);
  }

  set(key: string, value: unknown): void {
    assertSerializable(value, { executorId: this.executorId, direction: 'shared-state' });
    this.write(key, value, false);
  }
  delete(key: string): void {
    this.write(key, undefined, true);
  }
  private write(key: string, value: unknown, deleted: boolean): void {
    this.buffer.ownWrites.set(key, { value, deleted });
    this.buffer.sharedWrites.push([this.executorId, key, value, deleted]);
  }

  /** Used by the host for the flush-if-stale check after each handler. */
  flushHint(): void {
    this.live.maybeFlush(this.instance.key, this.superstep, this.output);
  }
}
