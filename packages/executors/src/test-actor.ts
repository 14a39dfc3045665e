/**
 * A stand-in for one actor in the runtime, for the unit tests of this package: it calls a definition's
 * handler with a context that behaves like the worker's (state committed and deep-frozen at the barrier,
 * `ctx.state` reading the draft, sends and outputs recorded). No threads. Not exported from the package.
 */
import type { ExecutorContext, ExecutorDefinition, SharedState } from '@superstep/runtime/executor';

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

const noShared: SharedState = {
  get: () => undefined,
  has: () => false,
  set: () => undefined,
  delete: () => undefined,
};

export class TestActor<In, Out, State> {
  superstep = 1;
  committed: State;
  private draft: { value: State } | undefined;
  readonly sent: { message: Out; to: string | undefined; superstep: number }[] = [];
  readonly outputs: unknown[] = [];
  readonly events: { name: string; data: unknown }[] = [];
  /** This superstep's sends and outputs, by reference: copied at the barrier, as the runtime encodes them. */
  private pendingSends: { message: Out; to: string | undefined; superstep: number }[] = [];
  private pendingOutputs: unknown[] = [];

  constructor(
    private readonly definition: ExecutorDefinition<In, Out, State>,
    readonly executorId = 'actor',
  ) {
    this.committed = deepFreeze(structuredClone(definition.initialState?.() as State));
  }

  /** The messages sent so far, without their targets. */
  get messages(): Out[] {
    return this.sent.map((entry) => entry.message);
  }

  /** Handles one message in the current superstep (as the runtime would, with `source` as the sender). */
  async handle(message: In, source = '$input'): Promise<void> {
    const handler = this.definition.handle;
    if (handler === undefined) throw new Error('TestActor supports `handle` definitions only');
    // A gathering executor gets its one message as a list of one.
    await handler((this.definition.gather ? [message] : message) as In, this.context(source));
  }

  /** Handles several messages in the current superstep, then passes the barrier. */
  async step(messages: readonly In[], source = '$input'): Promise<void> {
    for (const message of messages) await this.handle(message, source);
    this.barrier();
  }

  /**
   * The barrier: this superstep's sends and outputs are copied (as the runtime encodes them at the end of
   * the superstep, so a later in-place change to a sent value shows), the draft is committed deep-frozen,
   * and the next superstep begins.
   */
  barrier(): void {
    this.sent.push(...structuredClone(this.pendingSends));
    this.outputs.push(...structuredClone(this.pendingOutputs));
    this.pendingSends = [];
    this.pendingOutputs = [];
    if (this.draft !== undefined) this.committed = deepFreeze(this.draft.value);
    this.draft = undefined;
    this.superstep += 1;
  }

  /** Drops the draft, as a failed superstep does. */
  rollback(): void {
    this.pendingSends = [];
    this.pendingOutputs = [];
    this.draft = undefined;
  }

  private context(source: string): ExecutorContext<State, Out> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context object reads the actor live
    const actor = this;
    return {
      executorId: this.executorId,
      superstep: this.superstep,
      source,
      sources: [source],
      get state(): State {
        return actor.draft === undefined ? actor.committed : actor.draft.value;
      },
      setState(next: State): void {
        if (actor.definition.stateless) throw new Error('stateless executor set state');
        actor.draft = { value: next };
      },
      send(message: Out, options?: { to?: string }): void {
        actor.pendingSends.push({ message, to: options?.to, superstep: actor.superstep });
      },
      yieldOutput(value: unknown): void {
        actor.pendingOutputs.push(value);
      },
      emit(name: string, data?: unknown): void {
        actor.events.push({ name, data });
      },
      request(): string {
        throw new Error('TestActor does not support requests');
      },
      shared: noShared,
      signal: new AbortController().signal,
    };
  }
}

/** What `thunk` threw (it must throw), with the fields the tests assert on. */
export function thrown(thunk: () => unknown): { code?: unknown; message?: unknown; details?: unknown } {
  try {
    thunk();
  } catch (error) {
    return error as { code?: unknown; message?: unknown; details?: unknown };
  }
  throw new Error('expected a throw');
}

/** The shape of an `INVALID_OPTION` error of `factory` naming `option`. */
export function invalid(
  factory: string,
  option: string,
): { code: string; details: { factory: string; option: string } } {
  return { code: 'INVALID_OPTION', details: { factory, option } };
}
