/**
 * The `ctx` a handler gets: its actor's state, and the effects it may have (messages, outputs, events,
 * requests, shared-state writes), which go to the call's {@link EffectSink}. One context per handler call
 * (per attempt, under a retry policy), valid until the call settles: then it is closed, and every effect
 * attempted through it is refused (see late-calls.ts), so a callback the handler left behind cannot reach
 * a later superstep's state, messages or outputs.
 */
import { randomUUID } from 'node:crypto';
import { assertSerializable } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { FRAMEWORK_EVENT_TYPES } from '../shared/events.ts';
import type { ExecutorContext, RequestOptions, SendOptions, SharedState } from '../shared/executor-definition.ts';
import { sendsOf, type DeliveredMessage } from '../shared/protocol.ts';
import type { Actor, Instance } from './instance.ts';
import { refuseLateCall } from './late-calls.ts';
import type { LiveUpdates } from './live-updates.ts';
import type { EffectSink, StepOutput } from './step-output.ts';

/** What every call of one mailbox drain shares: where it runs and where its effects go. */
export interface CallScope {
  readonly live: LiveUpdates;
  readonly instance: Instance;
  readonly output: StepOutput;
  readonly executorId: string;
  readonly superstep: number;
  readonly actor: Actor | undefined;
}

/** The handler's view; one per call. */
export class HandlerContext implements ExecutorContext<unknown>, SharedState {
  private open = true;
  private sourceList: readonly string[] | undefined;

  constructor(
    private readonly scope: CallScope,
    /**
     * The message being handled: its sender, and a fan-in's or a gathered list's sources (see
     * {@link DeliveredMessage}).
     */
    private readonly message: DeliveredMessage,
    /** Where this call's effects go: the step's output, or the attempt's buffer. */
    private readonly sink: EffectSink,
  ) {}

  get source(): string {
    return this.message[0];
  }

  /** Made on first read, not per call: most handlers never look. */
  get sources(): readonly string[] {
    return (this.sourceList ??= Object.freeze(this.message.length === 3 ? [...this.message[2]] : [this.message[0]]));
  }

  get executorId(): string {
    return this.scope.executorId;
  }

  get superstep(): number {
    return this.scope.superstep;
  }

  /** The call settled: from now on every effect is refused. */
  close(): void {
    this.open = false;
  }

  get state(): unknown {
    const actor = this.scope.actor;
    if (actor === undefined) return undefined;
    return actor.dirty ? actor.draft : actor.committed;
  }

  setState(next: unknown): void {
    this.assertOpen('setState');
    const { actor, executorId } = this.scope;
    if (actor === undefined) {
      throw new SuperstepError('EXECUTOR_STATELESS_STATE', `stateless executor "${executorId}" cannot set state`, {
        details: { executorId },
      });
    }
    assertSerializable(next, { executorId, direction: 'state' });
    actor.draft = next;
    actor.dirty = true;
  }

  send(message: unknown, options?: SendOptions): void {
    this.assertOpen('send');
    const { executorId } = this.scope;
    assertSerializable(message, { executorId, direction: 'message' });
    sendsOf(this.sink.outbox, executorId).push(options?.to ?? null, message);
  }

  yieldOutput(value: unknown): void {
    this.assertOpen('yieldOutput');
    const { executorId } = this.scope;
    assertSerializable(value, { executorId, direction: 'output' });
    this.sink.outputs.push([executorId, value]);
  }

  emit(name: string, data?: unknown): void {
    this.assertOpen('emit');
    const { executorId, output, instance, superstep } = this.scope;
    if (FRAMEWORK_EVENT_TYPES.has(name)) {
      throw new SuperstepError('EVENT_NAME_RESERVED', `executor "${executorId}" cannot emit "${name}": reserved`, {
        details: { executorId, name },
      });
    }
    assertSerializable(data, { executorId, direction: 'event' });
    // Streamed as it happens, not held with the attempt's other effects: a handler that emits progress
    // and then awaits I/O must not hold its events back (guarantee 14). A failed attempt's events stay seen.
    output.events.push(['custom', executorId, name, data]);
    this.scope.live.scheduleFlush(instance.key, superstep, output);
  }

  request(data: unknown, options?: RequestOptions): string {
    this.assertOpen('request');
    const { executorId } = this.scope;
    assertSerializable(data, { executorId, direction: 'request' });
    const requestId = options?.requestId ?? randomUUID();
    if (typeof requestId !== 'string' || requestId.length === 0) {
      throw new SuperstepError('INVALID_OPTION', `executor "${executorId}": requestId must be a non-empty string`, {
        details: { executorId, option: 'requestId' },
      });
    }
    this.sink.requests.push([executorId, requestId, data]);
    return requestId;
  }

  get shared(): SharedState {
    return this;
  }

  get signal(): AbortSignal {
    return this.scope.instance.abort.signal;
  }

  // SharedState
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- implements SharedState.get<T>
  get<T>(key: string): T | undefined {
    const own = this.ownWrite(key);
    if (own !== undefined) return own.deleted ? undefined : (own.value as T);
    return this.scope.instance.shared.get(key) as T | undefined;
  }
  has(key: string): boolean {
    const own = this.ownWrite(key);
    return own !== undefined ? !own.deleted : this.scope.instance.shared.has(key);
  }
  private ownWrite(key: string): { value: unknown; deleted: boolean } | undefined {
    const { output, executorId } = this.scope;
    return this.sink.ownWrites.get(key) ?? output.ownWrites.get(executorId)?.get(key);
  }

  set(key: string, value: unknown): void {
    this.assertOpen('shared.set');
    assertSerializable(value, { executorId: this.scope.executorId, direction: 'shared-state' });
    this.write(key, value, false);
  }
  delete(key: string): void {
    this.assertOpen('shared.delete');
    this.write(key, undefined, true);
  }
  private write(key: string, value: unknown, deleted: boolean): void {
    this.sink.ownWrites.set(key, { value, deleted });
    this.sink.sharedWrites.push([this.scope.executorId, key, value, deleted]);
  }

  private assertOpen(method: string): void {
    if (!this.open) throw refuseLateCall(this.scope, method);
  }
}
