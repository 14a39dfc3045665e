/**
 * A harness for unit tests of one executor. It runs the handlers in this process, but on the runtime's own
 * host code — the delivery runner that picks the handler, the handler context (`ctx`) with its checks and
 * its closing after the call, retries, the actor's draft/commit cycle with its deep freeze, and the codec
 * wherever a value would cross threads in a run — so a test sees what a workflow would, without a thread.
 * Nothing here re-implements those parts; it only plays the coordinator's role around one actor.
 */
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { fromErrorRecord, SuperstepError } from '../shared/errors.ts';
import type { CustomEvent, WarningEvent } from '../shared/events.ts';
import { isExecutorDefinition, type ExecutorDefinition } from '../shared/executor-definition.ts';
import { toWorkflowEvent } from '../shared/host-event.ts';
import { invalidOption, optionsObject } from '../shared/options.ts';
import {
  INPUT_SOURCE,
  RESPONSE_SOURCE,
  pushMessage,
  type DeliveredMessage,
  type HostEvent,
  type HostToMain,
  type OutboxRun,
  type SharedWrite,
} from '../shared/protocol.ts';
import { checkResponse } from '../shared/response-check.ts';
import { DeliveryRunner } from '../worker/delivery-runner.ts';
import {
  applyShared,
  commitPending,
  holdDrafts,
  newInstance,
  rollbackPending,
  type Instance,
} from '../worker/instance.ts';
import { LiveUpdates } from '../worker/live-updates.ts';
import { StepOutput } from '../worker/step-output.ts';

/** Options of {@link createTestExecutor}. */
export interface TestExecutorOptions<State> {
  /** The id the handlers see as `ctx.executorId`. Default `'executor'`. */
  readonly executorId?: string;
  /**
   * The committed state to start from instead of `initialState()`: encoded and decoded by the codec and
   * frozen, as a state restored from a checkpoint is.
   */
  readonly state?: State;
  /** Shared state at the start, by key (`ctx.shared.get(key)`). */
  readonly shared?: Readonly<Record<string, unknown>>;
  /** The first superstep (`ctx.superstep`). Default 1. */
  readonly superstep?: number;
}

/** Who a message handed to {@link TestExecutor.handle} comes from. */
export interface HandleOptions {
  /** The sender, `ctx.source`. Default `'$input'` (a run's input). */
  readonly source?: string;
  /**
   * Deliver the message as a fan-in's list message from these sources (`ctx.sources`, in this order);
   * `ctx.source` is then their `+`-joined label. Not with `source`.
   */
  readonly sources?: readonly string[];
}

/** A message the executor sent, as the router would get it at the barrier. */
export interface SentMessage<Out> {
  readonly message: Out;
  /** The `to` of `ctx.send(message, { to })`; `null`: along every outgoing edge. */
  readonly to: string | null;
  readonly superstep: number;
}

/** A request the executor made (`ctx.request`), pending once its superstep committed. */
export interface MadeRequest {
  readonly requestId: string;
  readonly data: unknown;
  readonly superstep: number;
}

/** The handle {@link createTestExecutor} returns. */
export interface TestExecutor<In, Out, State, Output, Response> {
  readonly executorId: string;
  /** The superstep the next handled message runs in. */
  readonly superstep: number;
  /** The committed state (frozen), as of the last barrier; `ctx.state` shows the draft during a superstep. */
  readonly state: State;
  /** Messages sent in committed supersteps, in order; copies made at the barrier, as the codec makes them. */
  readonly sent: readonly SentMessage<Out>[];
  /** Just the messages of {@link sent}. */
  readonly messages: readonly Out[];
  /** Values yielded with `ctx.yieldOutput` in committed supersteps, in order. */
  readonly outputs: readonly Output[];
  /**
   * `custom` events (`ctx.emit`) and `warning` events (an unhandled message kind, a late call on a closed
   * context) as a run streams them: at once, also from a superstep that is later rolled back.
   */
  readonly events: readonly (CustomEvent | WarningEvent)[];
  /** Requests made in committed supersteps and not yet answered with {@link respond}. */
  readonly requests: readonly MadeRequest[];
  /** The committed shared state. */
  readonly shared: ReadonlyMap<string, unknown>;
  /**
   * Handles one message in the current superstep, as a host would: a codec copy of the message (a value the
   * codec cannot carry is refused with `SERIALIZATION_FAILED`), the handler `on`/`handle` picks, a
   * fresh `ctx` closed when the call settles, the executor's retry policy. If the handler fails (after
   * its retries), the superstep is rolled back, as a failed superstep is, and this rejects with the error
   * a run would fail with (`EXECUTOR_FAILED`, the handler's error as `original`). A `timeoutMs` is not
   * enforced here: in a run the coordinator enforces it.
   */
  handle(message: In, options?: HandleOptions): Promise<void>;
  /** Handles each message in turn in the current superstep, then passes the {@link barrier}. */
  step(messages: readonly In[], options?: HandleOptions): Promise<void>;
  /**
   * Answers a request made in a committed superstep: the answer is checked against the executor's
   * `responseSchema` (`RESPONSE_INVALID`, changing nothing) and handled by `onResponse` in the current
   * superstep. `REQUEST_UNKNOWN` for an id not pending.
   */
  respond(requestId: string, value: Response): Promise<void>;
  /**
   * The barrier: the superstep's state is committed and frozen, its sends, outputs, requests and shared
   * writes are kept (through the codec), and the next superstep begins.
   */
  barrier(): void;
  /** Drops the current superstep's draft state, sends, outputs, requests and shared writes. */
  rollback(): void;
  /** Aborts `ctx.signal`, as cancelling the run does. */
  cancel(reason?: string): void;
}

/**
 * Runs one executor's handlers in this process, through the runtime's own host code (see
 * docs/testing.md). No worker thread starts; nothing needs closing.
 *
 * @example
 * import { createTestExecutor } from '@superstep/runtime/testing';
 * import { counter } from './executors.ts';
 *
 * const actor = createTestExecutor(counter);
 * await actor.step([1, 2]);
 * expect(actor.state).toEqual({ total: 3 });
 * expect(actor.messages).toEqual([1, 3]);
 */
export function createTestExecutor<In, Out, State, Output, Response>(
  definition: ExecutorDefinition<In, Out, State, Output, Response>,
  options?: TestExecutorOptions<State>,
): TestExecutor<In, Out, State, Output, Response> {
  // Checked as an unknown value: a guard on the typed parameter would narrow away its type arguments.
  const given: unknown = definition;
  if (!isExecutorDefinition(given)) throw invalidOption('definition', 'made by defineExecutor()', given);
  return new ExecutorUnderTest(definition, resolveOptions(options));
}

interface ResolvedOptions<State> {
  readonly executorId: string;
  readonly state: State | undefined;
  readonly shared: readonly SharedWrite[];
  readonly superstep: number;
}

function resolveOptions<State>(given: TestExecutorOptions<State> | undefined): ResolvedOptions<State> {
  const options = optionsObject(given);
  const executorId = options.executorId ?? 'executor';
  if (typeof executorId !== 'string' || executorId === '' || executorId.startsWith('$')) {
    throw invalidOption('options.executorId', 'a non-empty string not starting with "$"', executorId);
  }
  const superstep = options.superstep ?? 1;
  if (!Number.isInteger(superstep) || superstep < 1) {
    throw invalidOption('options.superstep', 'an integer ≥ 1', superstep);
  }
  const shared = optionsObject(options.shared, 'options.shared');
  // Through the codec, as the coordinator's shared state reaches a host.
  const writes = Object.entries(shared).map(([key, value]): SharedWrite => [key, decode(encode(value)), false]);
  return { executorId, state: options.state, shared: writes, superstep };
}

/** A message as a host gets it from a batch. */
function delivered(payload: unknown, options: HandleOptions | undefined): DeliveredMessage {
  const { source, sources } = optionsObject(options);
  if (sources === undefined) {
    if (source !== undefined && (typeof source !== 'string' || source === '')) {
      throw invalidOption('options.source', 'a non-empty string', source);
    }
    return [source ?? INPUT_SOURCE, payload];
  }
  if (source !== undefined) throw invalidOption('options.source', 'left out when options.sources is given');
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((id) => typeof id === 'string')) {
    throw invalidOption('options.sources', 'a non-empty array of executor ids', sources);
  }
  return [sources.join('+'), payload, [...sources]];
}

/** What a host's reply carries to the coordinator, after the codec. */
interface Committed {
  readonly outbox: readonly OutboxRun[];
  readonly outputs: readonly (readonly [string, unknown])[];
  readonly requests: readonly (readonly [string, string, unknown])[];
  readonly sharedWrites: readonly (readonly [string, string, unknown, boolean])[];
}

class ExecutorUnderTest<In, Out, State, Output, Response> implements TestExecutor<In, Out, State, Output, Response> {
  readonly executorId: string;
  readonly sent: SentMessage<Out>[] = [];
  readonly outputs: Output[] = [];
  readonly events: (CustomEvent | WarningEvent)[] = [];
  readonly requests: MadeRequest[] = [];
  private currentSuperstep: number;
  private readonly instance: Instance;
  private readonly runner: DeliveryRunner;
  private output = new StepOutput(false);

  constructor(
    private readonly definition: ExecutorDefinition<In, Out, State, Output, Response>,
    options: ResolvedOptions<State>,
  ) {
    this.executorId = options.executorId;
    this.currentSuperstep = options.superstep;
    // Flushed at once: every event a handler emits is heard through the codec as a run would stream it.
    const live = new LiveUpdates({
      post: (bytes) => {
        this.hear(bytes);
      },
      flushIntervalMs: 0,
    });
    this.runner = new DeliveryRunner(live);
    if (options.state !== undefined) {
      assertSerializable(options.state, { executorId: this.executorId, direction: 'state' });
    }
    const snapshots = options.state === undefined ? [] : [[this.executorId, encode(options.state)] as const];
    this.instance = newInstance(
      { instance: `test:${this.executorId}`, actors: [this.executorId], snapshots, shared: options.shared },
      new Map([[this.executorId, definition as ExecutorDefinition]]),
    );
  }

  get superstep(): number {
    return this.currentSuperstep;
  }

  get state(): State {
    return this.instance.actors.get(this.executorId)?.committed as State;
  }

  get messages(): Out[] {
    return this.sent.map((entry) => entry.message);
  }

  get shared(): ReadonlyMap<string, unknown> {
    return this.instance.shared;
  }

  async handle(message: In, options?: HandleOptions): Promise<void> {
    // Checked and copied by the codec, as a message reaches a host: the handler cannot reach the caller's object.
    assertSerializable(message, { executorId: this.executorId, direction: 'input' });
    await this.deliver(delivered(decode(encode(message)), options));
  }

  async step(messages: readonly In[], options?: HandleOptions): Promise<void> {
    for (const message of messages) await this.handle(message, options);
    this.barrier();
  }

  async respond(requestId: string, value: Response): Promise<void> {
    const index = this.requests.findIndex((request) => request.requestId === requestId);
    const request = this.requests[index];
    if (request === undefined) {
      throw new SuperstepError('REQUEST_UNKNOWN', `no pending request "${requestId}"`, { details: { requestId } });
    }
    const check = await checkResponse(this.definition as ExecutorDefinition, decode(encode(value)));
    if (!check.ok) {
      throw new SuperstepError('RESPONSE_INVALID', `answer to "${requestId}" rejected: ${check.issues.join('; ')}`, {
        details: { requestId, executorId: this.executorId, issues: check.issues },
      });
    }
    this.requests.splice(index, 1);
    await this.deliver([RESPONSE_SOURCE, { requestId, request: request.data, value: check.value }]);
  }

  barrier(): void {
    const { instance, output } = this;
    holdDrafts(instance, this.mark(), output);
    const committed = decode(encode(committedOf(output))) as Committed;
    commitPending(instance);
    const superstep = this.currentSuperstep;
    applyShared(
      instance.shared,
      committed.sharedWrites.map(([, key, value, deleted]): SharedWrite => [key, value, deleted]),
    );
    for (const [, sends] of committed.outbox) {
      for (let at = 0; at < sends.length; at += 2) {
        this.sent.push({ message: sends[at + 1] as Out, to: sends[at] as string | null, superstep });
      }
    }
    for (const [, value] of committed.outputs) this.outputs.push(value as Output);
    for (const [, requestId, data] of committed.requests) this.requests.push({ requestId, data, superstep });
    this.currentSuperstep += 1;
    this.output = new StepOutput(false);
  }

  rollback(): void {
    holdDrafts(this.instance, this.mark(), this.output);
    rollbackPending(this.instance);
    this.output = new StepOutput(false);
  }

  cancel(reason = 'cancelled'): void {
    this.instance.abort.abort(reason);
  }

  /** One call, as a host runs a delivery in a step (see worker/actor-host.ts). */
  private async deliver(message: DeliveredMessage): Promise<void> {
    const { instance, output } = this;
    const superstep = this.currentSuperstep;
    // Late calls refused since the last call are reported with this one, as a host reports them.
    for (const warning of instance.lateWarnings) output.events.push(warning);
    instance.lateWarnings = [];
    instance.running = { superstep, output };
    try {
      const messages: unknown[] = [];
      pushMessage(messages, message);
      await this.runner.run({ instance, superstep, output }, [this.executorId, messages]);
    } finally {
      instance.running = undefined;
      this.keep(output.events, superstep);
      output.events = [];
    }
    if (output.failure !== null) {
      const error = fromErrorRecord(output.failure.error);
      this.rollback();
      throw error;
    }
  }

  private mark(): { run: number; superstep: number; keySnapshots: boolean } {
    return { run: 1, superstep: this.currentSuperstep, keySnapshots: false };
  }

  /** A message the host posted to the coordinator: streamed events are kept, timers are the coordinator's. */
  private hear(bytes: Uint8Array): void {
    const message = decode(bytes) as HostToMain;
    if (message.op === 'events') this.keep(message.events, message.superstep);
  }

  private keep(events: readonly HostEvent[], superstep: number): void {
    if (events.length === 0) return;
    for (const event of decode(encode(events)) as HostEvent[]) this.events.push(toWorkflowEvent(event, superstep));
  }
}

function committedOf(output: StepOutput): Committed {
  return {
    outbox: output.outbox,
    outputs: output.outputs,
    requests: output.requests,
    sharedWrites: output.sharedWrites,
  };
}
