/**
 * The actor host: everything a worker thread does. It holds the actors placed on it (their state is
 * resident here and never crosses threads unless it changed), runs a superstep's deliveries, and keeps
 * the superstep's drafts until the coordinator's verdict (see the commit protocol in protocol.ts).
 */
import { randomUUID } from 'node:crypto';
import { isMainThread, threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { contentHash } from '../shared/content-hash.ts';
import { SuperstepError, toErrorRecord, type ErrorRecord } from '../shared/errors.ts';
import { FRAMEWORK_EVENT_TYPES } from '../shared/events.ts';
import { checkResponse } from '../shared/response-check.ts';
import {
  isExecutorDefinition,
  type ExecutorContext,
  type ExecutorDefinition,
  type Handler,
  type RequestOptions,
  type SendOptions,
  isRetryable,
  retryDelay,
  type SharedState,
} from '../shared/executor-definition.ts';
import type {
  Delivery,
  ExecutorInfo,
  ExecutorLocation,
  HostControl,
  HostEvent,
  HostEventsMessage,
  HostHealth,
  HostTimerMessage,
  LoadInstanceRequest,
  OutboxEntry,
  PrepareStatesRequest,
  ResponseCheck,
  SharedWrite,
  StepBatch,
  StepReply,
} from '../shared/protocol.ts';
import { RESPONSE_SOURCE } from '../shared/protocol.ts';

if (isMainThread) {
  throw new Error('superstep: worker/actor-host.ts runs only inside a worker thread');
}

interface Actor {
  readonly id: string;
  readonly definition: ExecutorDefinition;
  committed: unknown;
  draft: unknown;
  dirty: boolean;
}

interface Instance {
  readonly key: string;
  readonly executors: Map<string, ExecutorDefinition>;
  readonly actors: Map<string, Actor>;
  readonly shared: Map<string, unknown>;
  /** Actors with drafts from the last superstep, awaiting the verdict. */
  pending: Actor[];
  abort: AbortController;
  /** The run of the last batch, and the last run aborted with its reason (see {@link HostControl.abort}). */
  currentRun: number;
  aborted: { readonly run: number; readonly reason: string } | undefined;
  /** States built by `prepareStates`, applied by `commitPrepared`. */
  prepared: { states: Map<string, unknown>; shared: Map<string, unknown> } | undefined;
}

/** Freezes committed state so an in-place mutation throws instead of defeating rollback. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) {
    return value;
  }
  if (value instanceof Map || value instanceof Set) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

function messageKind(message: unknown): string {
  if (typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string') {
    return (message as { type: string }).type;
  }
  return message === null ? 'null' : Array.isArray(message) ? 'array' : typeof message;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** What one attempt of one handler call produces; merged into the step's output when it succeeds. */
/** Where a handler call's effects go: straight into the step's output, or into an attempt buffer. */
interface EffectSink {
  readonly outbox: OutboxEntry[];
  readonly outputs: (readonly [string, unknown])[];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[];
  readonly requests: (readonly [string, string, unknown])[];
  readonly ownWrites: Map<string, { value: unknown; deleted: boolean }>;
}

/** One attempt of a call that may be retried: merged into the step's output only if it succeeds. */
class AttemptBuffer implements EffectSink {
  readonly outbox: OutboxEntry[] = [];
  readonly outputs: (readonly [string, unknown])[] = [];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[] = [];
  readonly requests: (readonly [string, string, unknown])[] = [];
  readonly ownWrites = new Map<string, { value: unknown; deleted: boolean }>();

  mergeInto(output: StepOutput, executorId: string): void {
    // Loops, not push(...spread): a handler may send more messages than a call can take arguments.
    for (const entry of this.outbox) output.outbox.push(entry);
    for (const entry of this.outputs) output.outputs.push(entry);
    for (const entry of this.sharedWrites) output.sharedWrites.push(entry);
    for (const entry of this.requests) output.requests.push(entry);
    if (this.ownWrites.size > 0) {
      const own = ownWritesOf(output, executorId);
      for (const [key, write] of this.ownWrites) own.set(key, write);
    }
  }
}

function ownWritesOf(output: StepOutput, executorId: string): Map<string, { value: unknown; deleted: boolean }> {
  let own = output.ownWrites.get(executorId);
  if (own === undefined)
    output.ownWrites.set(executorId, (own = new Map<string, { value: unknown; deleted: boolean }>()));
  return own;
}

/**
 * Without a retry policy a failed call fails the superstep, so effects go straight to the step's output:
 * it is itself a sink, with its own-writes map chosen per executor.
 */
class DirectSink implements EffectSink {
  private own: Map<string, { value: unknown; deleted: boolean }> | undefined;
  constructor(
    private readonly output: StepOutput,
    private readonly executorId: string,
  ) {}
  get outbox(): OutboxEntry[] {
    return this.output.outbox;
  }
  get outputs(): (readonly [string, unknown])[] {
    return this.output.outputs;
  }
  get sharedWrites(): (readonly [string, string, unknown, boolean])[] {
    return this.output.sharedWrites;
  }
  get requests(): (readonly [string, string, unknown])[] {
    return this.output.requests;
  }
  get ownWrites(): Map<string, { value: unknown; deleted: boolean }> {
    return (this.own ??= ownWritesOf(this.output, this.executorId));
  }
}

/** What one superstep of one instance produces on this host. */
class StepOutput {
  readonly outbox: OutboxEntry[] = [];
  readonly outputs: (readonly [string, unknown])[] = [];
  events: HostEvent[] = [];
  /** Calls finished since the last live flush (reported only by a flush; see HostEventsMessage). */
  completed: string[] = [];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[] = [];
  readonly requests: (readonly [string, string, unknown])[] = [];
  /** Each executor's own shared writes, for its reads in the same superstep (SPEC 45). */
  readonly ownWrites = new Map<string, Map<string, { value: unknown; deleted: boolean }>>();
  failure: { executorId: string; error: ErrorRecord } | null = null;
  /** Set once the reply is built: late flushes must not send events twice. */
  done = false;
}

/** The handler's view; one per invocation. */
class Context implements ExecutorContext<unknown>, SharedState {
  /** Where the current call's effects go (see {@link EffectSink}). */
  buffer: EffectSink;
  /** The sender of the message being handled. */
  source = '';

  constructor(
    private readonly host: ActorHost,
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
    this.host.scheduleFlush(this.instance.key, this.superstep, this.output);
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
    this.host.maybeFlush(this.instance.key, this.superstep, this.output);
  }
}

export interface ActorHostOptions {
  /** Posts a message to the coordinator (the host task wires this to the data port). */
  readonly post: (bytes: Uint8Array) => void;
  /** Events are streamed early once a superstep has run this long since the last flush. */
  readonly flushIntervalMs: number;
}

export class ActorHost implements HostControl {
  private readonly instances = new Map<string, Instance>();
  private lastFlush = performance.now();

  constructor(private readonly options: ActorHostOptions) {}

  // ---- control plane ------------------------------------------------------------------------------
  // The contract returns promises (comlink makes every call asynchronous anyway); methods doing only
  // synchronous work return settled ones instead of being `async` without an await.

  async loadInstance(request: LoadInstanceRequest): Promise<ExecutorInfo[]> {
    const executors = new Map<string, ExecutorDefinition>();
    const infos: ExecutorInfo[] = [];
    for (const location of request.executors) {
      const definition = await loadDefinition(location);
      executors.set(location.id, definition);
      infos.push({
        id: location.id,
        stateless: definition.stateless,
        kinds: definition.on === undefined ? null : Object.keys(definition.on),
      });
    }
    const snapshots = new Map(request.snapshots);
    const actors = new Map<string, Actor>();
    for (const id of request.actors) {
      const definition = executors.get(id);
      if (definition === undefined || definition.stateless) continue;
      const bytes = snapshots.get(id);
      const committed = bytes !== undefined ? decode(bytes) : definition.initialState?.();
      actors.set(id, { id, definition, committed: deepFreeze(committed), draft: undefined, dirty: false });
    }
    const shared = new Map<string, unknown>();
    applyShared(shared, request.shared);
    this.instances.set(request.instance, {
      key: request.instance,
      executors,
      actors,
      shared,
      pending: [],
      abort: new AbortController(),
      currentRun: 0,
      aborted: undefined,
      prepared: undefined,
    });
    return infos;
  }

  async prepareStates(instance: string, request: PrepareStatesRequest): Promise<void> {
    const found = this.requireInstance(instance);
    commitPending(found);
    if (request.runResetHooks) {
      for (const [executorId, definition] of found.executors) {
        try {
          await definition.reset?.();
        } catch (error) {
          throw new SuperstepError('RESET_FAILED', `reset hook of executor "${executorId}" threw: ${String(error)}`, {
            details: { executorId },
            original: toErrorRecord(error),
          });
        }
      }
    }
    const snapshots = new Map(request.snapshots);
    const states = new Map<string, unknown>();
    for (const actor of found.actors.values()) {
      const bytes = snapshots.get(actor.id);
      states.set(actor.id, deepFreeze(bytes !== undefined ? decode(bytes) : actor.definition.initialState?.()));
    }
    const shared = new Map<string, unknown>();
    applyShared(shared, request.shared);
    found.prepared = { states, shared };
  }

  commitPrepared(instance: string): Promise<void> {
    const found = this.requireInstance(instance);
    const prepared = found.prepared;
    if (prepared === undefined) throw new SuperstepError('INTERNAL', `nothing prepared for ${instance}`);
    for (const actor of found.actors.values()) {
      actor.committed = prepared.states.get(actor.id);
      actor.draft = undefined;
      actor.dirty = false;
    }
    found.shared.clear();
    for (const [key, value] of prepared.shared) found.shared.set(key, value);
    found.pending = [];
    found.prepared = undefined;
    return Promise.resolve();
  }

  discardPrepared(instance: string): Promise<void> {
    const found = this.instances.get(instance);
    if (found !== undefined) found.prepared = undefined;
    return Promise.resolve();
  }

  private requireInstance(instance: string): Instance {
    const found = this.instances.get(instance);
    if (found === undefined)
      throw new SuperstepError('INTERNAL', `instance ${instance} is not loaded on thread ${threadId}`);
    return found;
  }

  dropInstance(instance: string): Promise<void> {
    this.instances.get(instance)?.abort.abort('dropped');
    this.instances.delete(instance);
    return Promise.resolve();
  }

  commit(instance: string): Promise<void> {
    const found = this.instances.get(instance);
    if (found !== undefined) commitPending(found);
    return Promise.resolve();
  }

  rollback(instance: string): Promise<void> {
    const found = this.instances.get(instance);
    if (found !== undefined) rollbackPending(found);
    return Promise.resolve();
  }

  async validateResponse(instance: string, executorId: string, value: unknown): Promise<ResponseCheck> {
    const definition = this.requireInstance(instance).executors.get(executorId);
    if (definition === undefined) throw new SuperstepError('INTERNAL', `executor "${executorId}" is not loaded`);
    return await checkResponse(definition, value);
  }

  abort(instance: string, reason: string, run: number): Promise<void> {
    const target = this.instances.get(instance);
    if (target !== undefined) {
      target.aborted = { run, reason };
      if (target.currentRun === run) target.abort.abort(reason);
    }
    return Promise.resolve();
  }

  ping(): Promise<HostHealth> {
    return Promise.resolve({ threadId, instances: this.instances.size, heapUsed: process.memoryUsage().heapUsed });
  }

  // ---- data plane ---------------------------------------------------------------------------------

  async step(batch: StepBatch): Promise<StepReply> {
    const instance = this.instances.get(batch.instance);
    const output = new StepOutput();
    if (instance === undefined) {
      output.failure = {
        executorId: '',
        error: new SuperstepError(
          'INTERNAL',
          `instance ${batch.instance} is not loaded on thread ${threadId}`,
        ).toRecord(),
      };
      return reply(batch, output, []);
    }
    // A batch for a later superstep means the previous one succeeded everywhere.
    commitPending(instance);
    applyShared(instance.shared, batch.shared);
    // A fresh signal per run; an abort that overtook this batch applies to it.
    instance.currentRun = batch.run;
    if (instance.aborted?.run === batch.run) instance.abort.abort(instance.aborted.reason);
    else if (instance.abort.signal.aborted) instance.abort = new AbortController();
    this.lastFlush = performance.now();

    // Synchronous handlers run without a promise per actor; only asynchronous ones are awaited.
    const pending: Promise<void>[] = [];
    for (const delivery of batch.deliveries) {
      const running = this.runDelivery(instance, batch.superstep, delivery, output);
      if (running !== undefined) pending.push(running);
    }
    if (pending.length > 0) await Promise.all(pending);

    const dirty: Actor[] = [];
    const snapshots: Snapshot[] = [];
    for (const actor of instance.actors.values()) {
      if (!actor.dirty) continue;
      dirty.push(actor);
      if (output.failure !== null) continue;
      const bytes = encode(actor.draft);
      snapshots.push([actor.id, bytes, batch.hashSnapshots ? contentHash(bytes) : null]);
    }
    instance.pending = dirty;
    if (output.failure !== null) rollbackPending(instance);
    return reply(batch, output, snapshots);
  }

  private runDelivery(
    instance: Instance,
    superstep: number,
    delivery: Delivery,
    output: StepOutput,
  ): Promise<void> | undefined {
    const [executorId, messages] = delivery;
    const definition = instance.executors.get(executorId);
    if (definition === undefined) {
      output.failure ??= {
        executorId,
        error: new SuperstepError('INTERNAL', `executor "${executorId}" is not loaded on this host`).toRecord(),
      };
      return;
    }
    if (definition.stateless) {
      // Each message is its own invocation; they may interleave if handlers are asynchronous.
      const pending: Promise<void>[] = [];
      for (const message of messages) {
        const running = this.invoke(instance, superstep, output, executorId, definition, undefined, [message]);
        if (running !== undefined) pending.push(running);
      }
      return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
    }
    const actor = instance.actors.get(executorId);
    if (actor === undefined) {
      output.failure ??= {
        executorId,
        error: new SuperstepError('INTERNAL', `actor "${executorId}" is not placed on this host`).toRecord(),
      };
      return;
    }
    return this.invoke(instance, superstep, output, executorId, definition, actor, messages);
  }

  /** Drains one mailbox: one message at a time, in order (SPEC 5). */
  /**
   * Drains one mailbox: one message at a time, in order (SPEC 5). Synchronous while handlers are (no
   * promise per call); from the first handler that returns a promise, or for an executor with a retry or
   * timeout policy, the rest of the mailbox continues in {@link drainAsync}.
   */
  private invoke(
    instance: Instance,
    superstep: number,
    output: StepOutput,
    executorId: string,
    definition: ExecutorDefinition,
    actor: Actor | undefined,
    messages: Delivery[1],
  ): Promise<void> | undefined {
    const context = new Context(this, instance, output, executorId, superstep, actor);
    const plain = definition.retry === undefined && definition.timeoutMs === undefined;
    for (let index = 0; index < messages.length; index++) {
      if (!plain) return this.drainAsync(instance, context, definition, actor, messages, index, undefined);
      const message = messages[index];
      if (output.failure !== null || message === undefined) return undefined; // a lost superstep: stop early
      const [source, payload] = message;
      const handler = this.handlerFor(definition, context, source, payload);
      if (handler === undefined) continue;
      let result: unknown;
      try {
        result = handler(payload, context);
      } catch (error) {
        output.failure ??= { executorId, error: failureRecord(executorId, error) };
        return undefined;
      }
      if (isThenable(result)) return this.drainAsync(instance, context, definition, actor, messages, index + 1, result);
      context.flushHint();
    }
    output.completed.push(executorId);
    return undefined;
  }

  /** The handler for a message, or `undefined` after reporting it unhandled (SPEC 12). */
  private handlerFor(
    definition: ExecutorDefinition,
    context: Context,
    source: string,
    payload: unknown,
  ): Handler<unknown, unknown, unknown> | undefined {
    const handler = source === RESPONSE_SOURCE ? responseHandler(definition) : pickHandler(definition, payload);
    context.source = source;
    if (handler === undefined) {
      const kind = messageKind(payload);
      context.output.events.push([
        'warning',
        'MESSAGE_UNHANDLED',
        `executor "${context.executorId}" has no handler for a message of kind "${kind}" from "${source}"`,
        { source, target: context.executorId, kind },
      ]);
    }
    return handler;
  }

  /** The rest of a mailbox from `from`, after `waiting` (a handler's promise) settles. */
  private async drainAsync(
    instance: Instance,
    context: Context,
    definition: ExecutorDefinition,
    actor: Actor | undefined,
    messages: Delivery[1],
    from: number,
    waiting: PromiseLike<unknown> | undefined,
  ): Promise<void> {
    const { output, executorId, superstep } = context;
    if (waiting !== undefined) {
      try {
        await waiting;
      } catch (error) {
        output.failure ??= { executorId, error: failureRecord(executorId, error) };
        return;
      }
      context.flushHint();
    }
    for (let index = from; index < messages.length; index++) {
      const message = messages[index];
      if (output.failure !== null || message === undefined) return;
      const [source, payload] = message;
      const handler = this.handlerFor(definition, context, source, payload);
      if (handler === undefined) continue;
      const error = await this.callWithRetries(instance.key, superstep, definition, actor, context, handler, payload);
      if (error !== undefined) {
        output.failure ??= { executorId, error: failureRecord(executorId, error) };
        return;
      }
      context.flushHint();
    }
    output.completed.push(executorId);
  }

  /**
   * Calls a handler for one message, retrying per the executor's policy (SPEC 40). A failed attempt leaves
   * no trace: its buffer is dropped and the actor's draft put back. Resolves to the final error, if any.
   */
  private async callWithRetries(
    instance: string,
    superstep: number,
    definition: ExecutorDefinition,
    actor: Actor | undefined,
    context: Context,
    handler: Handler<unknown, unknown, unknown>,
    payload: unknown,
  ): Promise<unknown> {
    const policy = definition.retry;
    const draft = actor?.draft;
    const dirty = actor?.dirty ?? false;
    const direct = context.buffer;
    for (let attempt = 1; ; attempt++) {
      const attemptBuffer = policy === undefined ? undefined : new AttemptBuffer();
      context.buffer = attemptBuffer ?? direct;
      const seq =
        definition.timeoutMs === undefined
          ? 0
          : this.timer(instance, superstep, context.executorId, 'start', definition.timeoutMs);
      let failed: { error: unknown } | undefined;
      try {
        const result = handler(payload, context);
        if (isThenable(result)) await result;
      } catch (error) {
        failed = { error };
      }
      if (definition.timeoutMs !== undefined)
        this.timer(instance, superstep, context.executorId, 'end', definition.timeoutMs, seq);
      context.buffer = direct;
      if (failed === undefined) {
        attemptBuffer?.mergeInto(context.output, context.executorId);
        return undefined;
      }
      if (actor !== undefined) {
        actor.draft = draft;
        actor.dirty = dirty;
      }
      if (policy === undefined || attempt >= policy.attempts || !isRetryable(policy, failed.error)) {
        return failed.error;
      }
      const delay = retryDelay(policy, attempt, policy.random ?? Math.random);
      await (policy.sleep ?? sleep)(delay);
    }
  }

  private timerSeq = 0;

  /** Tells the main thread at once (not batched) that a timed call started or ended. */
  private timer(
    instance: string,
    superstep: number,
    executorId: string,
    phase: 'start' | 'end',
    timeoutMs: number,
    seq = ++this.timerSeq,
  ): number {
    const message: HostTimerMessage = { op: 'timer', instance, superstep, executorId, phase, timeoutMs, seq };
    this.options.post(encode(message));
    return seq;
  }

  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * Makes sure events reach the coordinator within the flush interval even while a handler awaits: a
   * timer that fires only if the event loop gets a turn (a synchronous handler is covered by
   * {@link maybeFlush} after it returns).
   */
  scheduleFlush(instance: string, superstep: number, output: StepOutput): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush(instance, superstep, output);
    }, this.options.flushIntervalMs);
  }

  /** Streams the events gathered so far if the superstep has been running for a while. */
  maybeFlush(instance: string, superstep: number, output: StepOutput): void {
    if (performance.now() - this.lastFlush < this.options.flushIntervalMs) return;
    this.flush(instance, superstep, output);
  }

  private flush(instance: string, superstep: number, output: StepOutput): void {
    if ((output.events.length === 0 && output.completed.length === 0) || output.done) return;
    this.lastFlush = performance.now();
    const message: HostEventsMessage = {
      op: 'events',
      instance,
      superstep,
      events: output.events,
      completed: output.completed,
    };
    output.events = [];
    output.completed = [];
    this.options.post(encode(message));
  }
}

function responseHandler(definition: ExecutorDefinition): Handler<unknown, unknown, unknown> | undefined {
  return definition.onResponse as Handler<unknown, unknown, unknown> | undefined;
}

function pickHandler(definition: ExecutorDefinition, payload: unknown): Handler<unknown, unknown, unknown> | undefined {
  if (definition.handle !== undefined) return definition.handle;
  const handlers = definition.on;
  if (handlers === undefined) return undefined;
  const kind = messageKind(payload);
  return Object.hasOwn(handlers, kind) ? (handlers[kind] as Handler<unknown, unknown, unknown>) : undefined;
}

/** A handler's error as the run will report it (SPEC 8): our own errors keep their code. */
function failureRecord(executorId: string, error: unknown): ErrorRecord {
  if (error instanceof SuperstepError) {
    return { ...error.toRecord(), details: { executorId, ...error.details } };
  }
  const original = toErrorRecord(error);
  return new SuperstepError('EXECUTOR_FAILED', original.message, {
    details: { executorId },
    original,
  }).toRecord();
}

function commitPending(instance: Instance): void {
  for (const actor of instance.pending) {
    actor.committed = deepFreeze(actor.draft);
    actor.draft = undefined;
    actor.dirty = false;
  }
  instance.pending = [];
}

function rollbackPending(instance: Instance): void {
  for (const actor of instance.pending) {
    actor.draft = undefined;
    actor.dirty = false;
  }
  instance.pending = [];
}

function applyShared(shared: Map<string, unknown>, writes: readonly SharedWrite[]): void {
  for (const [key, value, deleted] of writes) {
    if (deleted) shared.delete(key);
    else shared.set(key, deepFreeze(value));
  }
}

async function loadDefinition(location: ExecutorLocation): Promise<ExecutorDefinition> {
  const where = { executorId: location.id, module: location.module, exportName: location.exportName };
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(location.module)) as Record<string, unknown>;
  } catch (error) {
    throw new SuperstepError(
      'EXECUTOR_LOAD_FAILED',
      `executor "${location.id}": cannot import module ${location.module}: ${String(error)}`,
      { details: where, cause: error },
    );
  }
  const definition = namespace[location.exportName];
  if (!isExecutorDefinition(definition)) {
    throw new SuperstepError(
      'EXECUTOR_LOAD_FAILED',
      `executor "${location.id}": export "${location.exportName}" of ${location.module} ` +
        (definition === undefined ? 'does not exist' : 'is not made by defineExecutor()'),
      { details: where },
    );
  }
  return definition;
}

type Snapshot = StepReply['snapshots'][number];

function reply(batch: StepBatch, output: StepOutput, snapshots: Snapshot[]): StepReply {
  output.done = true;
  return {
    op: 'done',
    instance: batch.instance,
    superstep: batch.superstep,
    outbox: output.outbox,
    outputs: output.failure === null ? output.outputs : [],
    events: output.events,
    sharedWrites: output.failure === null ? output.sharedWrites : [],
    snapshots,
    requests: output.failure === null ? output.requests : [],
    failure: output.failure,
  };
}
