/**
 * The coordinator ↔ actor-host contract, imported by both sides. It is transport-neutral: the
 * coordinator talks to a `HostLink` (shared/host-set.ts); the link may be a worker thread's MessagePort
 * pair, the same pair carrying only codec bytes (the loopback), or a broker subject, without the
 * coordinator changing.
 *
 * Two planes:
 * - data plane: one {@link StepBatch} per host per superstep and one {@link StepReply} back, each a single
 *   msgpack buffer; plus {@link HostEventsMessage}s that stream events while a long superstep runs.
 * - control plane: {@link HostControl}, typed RPC for the rare calls (load, commit, rollback, abort, ping):
 *   over comlink on a thread's control port, or as {@link ControlCall}/{@link ControlResult} codec messages
 *   on the data channel (the loopback, and any transport that carries only bytes).
 *
 * Commit protocol: a host keeps the drafts of superstep N until it hears the outcome. Receiving the batch
 * of a later superstep of the same instance, or `commit`, commits them; `rollback` discards them. So a
 * successful superstep costs no extra round trip. `commit` and `rollback` name the run and superstep they
 * mean, so one that arrives late (after the host moved on) changes nothing. A restore or reset's second phase
 * rides on the next batch the same way ({@link StepBatch.commitPrepared}).
 *
 * Sequencing: each batch carries a number, per instance on one link, 1, 2, 3…; a host applies only the
 * next one, answers a repeated one with the reply it already gave, and refuses any other (see
 * worker/batch-sequence.ts). Replies carry the number back and are matched by it.
 */
import type { ErrorRecord } from './errors.ts';
import type { WarningCode } from './events.ts';

/** The source id of a run's input message (guarantee 2). */
export const INPUT_SOURCE = '$input';
/** The source id of an answer to a request: delivered to the executor's `onResponse` (guarantee 18). */
export const RESPONSE_SOURCE = '$response';

/** Where an executor's code is: a module a worker can import, and an export in it (guarantee 13). */
export interface ExecutorLocation {
  readonly id: string;
  readonly module: string;
  readonly exportName: string;
}

export interface LoadInstanceRequest {
  readonly instance: string;
  /** Every executor of the graph: stateless ones may run on any host. */
  readonly executors: readonly ExecutorLocation[];
  /** Ids of the stateful actors this host holds. */
  readonly actors: readonly string[];
  /** Barrier snapshots to restore actors from (actors absent here start from their initial state). */
  readonly snapshots: readonly (readonly [actorId: string, bytes: Uint8Array])[];
  /** Committed shared state. */
  readonly shared: readonly SharedWrite[];
}

export type ResponseCheck =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: readonly string[] };

export interface PrepareStatesRequest {
  readonly snapshots: readonly (readonly [actorId: string, bytes: Uint8Array])[];
  /** The whole shared state after the operation. */
  readonly shared: readonly SharedWrite[];
  readonly runResetHooks: boolean;
}

/** What a host learnt by loading an executor. */
export interface ExecutorInfo {
  readonly id: string;
  readonly stateless: boolean;
  /** Message types with a handler, or `null` for an executor with a catch-all `handle`. */
  readonly kinds: readonly string[] | null;
}

export interface HostHealth {
  readonly threadId: number;
  /** Instances loaded on the host. */
  readonly instances: number;
  /** V8 heap in use, in bytes (after a full GC for {@link HostControl.memory} where `gc` is exposed). */
  readonly heapUsed: number;
  /** Whether a full GC ran first (the thread was started with `--expose-gc`). */
  readonly collected: boolean;
}

/** The control plane, served by each actor host. */
export interface HostControl {
  /** Imports the executors of an instance and creates (or restores) the actors placed here. */
  loadInstance(request: LoadInstanceRequest): Promise<ExecutorInfo[]>;
  dropInstance(instance: string): Promise<void>;
  /**
   * Commits the pending drafts of `instance` (they become committed state) if they are of `at` or an
   * earlier superstep; drafts of a later one (this call arrived late) are left alone. A link may resolve it
   * before the host has applied it (a thread link sends a {@link CommitMessage} and wants no answer): the
   * coordinator sends it at the end of a run and never waits for it.
   */
  commit(instance: string, at: StepMark): Promise<void>;
  /**
   * Discards the pending drafts of `instance` if they are exactly of `at`: the host is back at the last
   * barrier. A late rollback of an earlier superstep never drops a later one's drafts.
   */
  rollback(instance: string, at: StepMark): Promise<void>;
  /**
   * Phase one of an atomic state replacement (restore, reset): builds every placed actor's new state —
   * from `snapshots`, else from its initial state — and, for a reset, runs the reset hooks. Nothing
   * changes yet; a throw here leaves the host as it was.
   */
  prepareStates(instance: string, request: PrepareStatesRequest): Promise<void>;
  /**
   * Phase two: the prepared states (and shared state) become the committed ones. A link may instead send
   * it with the instance's next batch ({@link StepBatch.commitPrepared}) and resolve at once.
   */
  commitPrepared(instance: string): Promise<void>;
  /** Drops prepared states. */
  discardPrepared(instance: string): Promise<void>;
  /** Checks an answer against the executor's `responseSchema` (guarantee 20). */
  validateResponse(instance: string, executorId: string, value: unknown): Promise<ResponseCheck>;
  /**
   * Cooperative cancel: aborts the signal handlers of `instance` see in run `run` (a
   * {@link StepBatch.run}). The data and control ports are not ordered with each other, so the abort may
   * arrive before the batch it is meant for: that batch then starts with its signal already aborted.
   */
  abort(instance: string, reason: string, run: number): Promise<void>;
  ping(): Promise<HostHealth>;
  /** Like {@link ping}, after a full garbage collection where `gc` is exposed: what the host retains. */
  memory(): Promise<HostHealth>;
}

/** A superstep of one run of an instance: what `commit` and `rollback` refer to. */
export interface StepMark {
  /** The coordinator's number of the run (see {@link StepBatch.run}). */
  readonly run: number;
  readonly superstep: number;
}

/** A shared-state write: `deleted` writes remove the key. */
export type SharedWrite = readonly [key: string, value: unknown, deleted: boolean];

/**
 * One message delivered to a handler: its sender and payload, and for a fan-in's list message the fan-in's
 * sources in its `from` order (then `source` is only a label; see `ExecutorContext.sources`).
 */
export type DeliveredMessage =
  readonly [source: string, payload: unknown] | readonly [source: string, payload: unknown, sources: readonly string[]];

/**
 * Messages for one executor in one superstep, in send order, flat: `source, payload, source, payload, …`
 * (no array per message to build, encode, decode and collect). A fan-in's list message has its sources
 * (`string[]`, in the fan-in's `from` order) where a source goes; its label is them joined with `+`.
 */
export type Delivery = readonly [executorId: string, messages: readonly unknown[]];

/** How many messages a {@link Delivery} carries. */
export function messageCount(delivery: Delivery): number {
  return delivery[1].length / 2;
}

/** Appends one message to a delivery's flat list (see {@link Delivery}). */
export function pushMessage(messages: unknown[], message: DeliveredMessage): void {
  messages.push(message.length === 3 ? message[2] : message[0], message[1]);
}

/**
 * A delivery's messages as handlers get them; `undefined` if the list is malformed (odd length, or a source
 * that is neither a string nor a list of strings) — a protocol bug the host reports as such.
 */
export function deliveredMessages(flat: readonly unknown[]): DeliveredMessage[] | undefined {
  if (flat.length % 2 !== 0) return undefined;
  const messages: DeliveredMessage[] = [];
  for (let at = 0; at < flat.length; at += 2) {
    const source = flat[at];
    if (typeof source === 'string') messages.push([source, flat[at + 1]]);
    else if (Array.isArray(source) && source.every((id) => typeof id === 'string')) {
      const sources: string[] = source;
      messages.push([sources.join('+'), flat[at + 1], sources]);
    } else return undefined;
  }
  return messages;
}

/** Main → host, once per superstep for each host that has work (or shared state to hear about). */
export interface StepBatch {
  readonly op: 'step';
  readonly instance: string;
  /** Which run of the instance this is (the coordinator counts them): an abort names its run. */
  readonly run: number;
  readonly superstep: number;
  /**
   * The batch's number among this link's batches for the instance: 1, 2, 3… with no gaps, continuations
   * included. A re-sent batch keeps its number; the reply carries it back.
   */
  readonly seq: number;
  /** Shared-state writes committed since this host's previous batch for the instance. */
  readonly shared: readonly SharedWrite[];
  readonly deliveries: readonly Delivery[];
  /**
   * More work of a superstep this host already has a batch of: a slice of stateless messages, handed out
   * as hosts finish (see `main/superstep/host-dispatch.ts`). It changes no actor state and says nothing of the
   * previous superstep; a host handles one instance's batches one after another, in the order sent.
   */
  readonly continuation: boolean;
  /** The run checkpoints: send each snapshot with its blob key (shared/blob-key.ts), made here rather than on main. */
  readonly keySnapshots: boolean;
  /**
   * Someone watches this run (a tracer that records, or a run recorder): time each handler invocation and
   * send the records with the reply. Off, the host reads no clock per call.
   */
  readonly timed: boolean;
  /**
   * The host's prepared states (a restore or reset every host prepared) become the committed ones before
   * anything else of this batch happens: {@link HostControl.commitPrepared} riding on the instance's next
   * batch instead of costing a round trip of its own (see `LinkBatches` in host-set.ts).
   */
  readonly commitPrepared: boolean;
}

/**
 * One handler invocation as a host timed it: an actor draining its mailbox, or a stateless executor
 * handling one message. Times are epoch milliseconds with fractions (`performance.timeOrigin +
 * performance.now()`), so a worker's and the main thread's clocks agree. `retries` counts the calls
 * retried under the executor's retry policy; `failed` says the invocation failed the superstep.
 */
export type HandlerTiming = readonly [
  executorId: string,
  start: number,
  end: number,
  messages: number,
  retries: number,
  failed: boolean,
];

/**
 * An event as a host reports it; the coordinator turns it into a {@link WorkflowEvent}. `executor.invoked`
 * and `executor.completed` are not among them: the coordinator knows which mailboxes it delivered and
 * emits them itself, so a superstep of many actors costs no per-actor event traffic. A host reports
 * completions only in a live flush (see {@link HostEventsMessage.completed}).
 */
export type HostEvent =
  | readonly ['custom', executorId: string, name: string, data: unknown]
  | readonly ['warning', code: WarningCode, message: string, details: Record<string, unknown>];

/**
 * The messages one executor sent in a row: `sends` holds `target, payload` pairs, flat (`target` null means
 * along every outgoing edge). A run names its source once and allocates no array per message: a handler
 * that sends 100,000 messages makes one run, not 100,000 entries to encode, decode and collect.
 */
export type OutboxRun = readonly [source: string, sends: unknown[]];

/**
 * The sends list to push a message from `source` onto (`target, payload`): the last run's if it has that
 * source, else a new run's.
 */
export function sendsOf(outbox: OutboxRun[], source: string): unknown[] {
  const last = outbox.at(-1);
  if (last?.[0] === source) return last[1];
  const sends: unknown[] = [];
  outbox.push([source, sends]);
  return sends;
}

/** Host → main, once per {@link StepBatch}. */
export interface StepReply {
  readonly op: 'done';
  readonly instance: string;
  readonly superstep: number;
  /** The {@link StepBatch.seq} of the batch answered: replies are matched to batches by it. */
  readonly seq: number;
  readonly outbox: readonly OutboxRun[];
  readonly outputs: readonly (readonly [executorId: string, data: unknown])[];
  /** Events not yet streamed. */
  readonly events: readonly HostEvent[];
  readonly sharedWrites: readonly (readonly [executorId: string, key: string, value: unknown, deleted: boolean])[];
  /**
   * msgpack snapshots of the draft state of actors whose state changed in this superstep, with their
   * blob key when the batch asked for it (`null` otherwise).
   */
  readonly snapshots: readonly (readonly [actorId: string, bytes: Uint8Array, key: string | null])[];
  /** Requests made in this superstep: pending once it commits (guarantee 17). */
  readonly requests: readonly (readonly [executorId: string, requestId: string, data: unknown])[];
  readonly failure: { readonly executorId: string; readonly error: ErrorRecord } | null;
  /** The host's thread id (`worker_threads.threadId`; a host in another process reports its own). */
  readonly threadId: number;
  /** The batch's handler invocations, in the order they ended; empty unless the batch was {@link StepBatch.timed}. */
  readonly timings: readonly HandlerTiming[];
}

/** Host → main while a superstep runs: events streamed before the reply (guarantee 14, live). */
export interface HostEventsMessage {
  readonly op: 'events';
  readonly instance: string;
  readonly superstep: number;
  readonly events: readonly HostEvent[];
  /** Executors whose call finished since the last flush (one entry per call), for live progress. */
  readonly completed: readonly string[];
}

/**
 * Host → main, sent at once (not batched) around each call of an executor that has `timeoutMs`, so the
 * main thread can terminate a worker stuck in it (guarantee 40).
 */
export interface HostTimerMessage {
  readonly op: 'timer';
  readonly instance: string;
  readonly superstep: number;
  readonly executorId: string;
  readonly phase: 'start' | 'end';
  readonly timeoutMs: number;
  /** Distinguishes calls on one host. */
  readonly seq: number;
}

/**
 * Main → host: one control-plane call as codec bytes on the data channel, for transports that carry only
 * bytes. `id` matches the {@link ControlResult}; results may come back in any order.
 */
export interface ControlCall {
  readonly op: 'call';
  readonly id: number;
  readonly method: keyof HostControl;
  readonly args: readonly unknown[];
}

/** Host → main: the outcome of a {@link ControlCall}; a failure travels as an {@link ErrorRecord}. */
export type ControlResult =
  | { readonly op: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly op: 'result'; readonly id: number; readonly ok: false; readonly error: ErrorRecord };

export type HostToMain = StepReply | HostEventsMessage | HostTimerMessage | ControlResult;
/**
 * Main → host: {@link HostControl.commit} for a thread host, as a message on the data channel that wants no
 * answer. A run's end-of-run commit is not waited for (nothing needs it applied before the next batch, which
 * commits earlier drafts itself), and on the data channel it comes in order with the batches, at the cost of
 * one small message instead of a control call's.
 */
export interface CommitMessage {
  readonly op: 'commit';
  readonly instance: string;
  readonly at: StepMark;
}

export type MainToHost = StepBatch | ControlCall | CommitMessage | { readonly op: 'stop' };
