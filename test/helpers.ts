/** Helpers shared by the cross-package tests: draining runs, picking events, catching coded errors. */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { CheckpointStore, RunHandle, RunResult, RunStatus, WorkflowEvent } from '@superstep/runtime';

/** Everything one run produced: its events in order, and its result or its error. */
export interface Drained<Output> {
  readonly events: WorkflowEvent[];
  readonly result: RunResult<Output> | undefined;
  readonly error: unknown;
}

/** Iterates a run to its end, then settles its result. */
export async function drain<Output>(run: RunHandle<Output>): Promise<Drained<Output>> {
  const events: WorkflowEvent[] = [];
  for await (const event of run) events.push(event);
  try {
    return { events, result: await run.result(), error: undefined };
  } catch (error) {
    return { events, result: undefined, error };
  }
}

export type EventOf<T extends WorkflowEvent['type']> = Extract<WorkflowEvent, { type: T }>;

/** The events of one type, narrowed. */
export function ofType<T extends WorkflowEvent['type']>(events: readonly WorkflowEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

/** The `status` values of a run, in order. */
export function statuses(events: readonly WorkflowEvent[]): RunStatus[] {
  return ofType(events, 'status').map((event) => event.status);
}

/** Custom events by name. */
export function custom(events: readonly WorkflowEvent[], name: string): EventOf<'custom'>[] {
  return ofType(events, 'custom').filter((event) => event.name === name);
}

/** The index of the first event matching `predicate` (fails loudly when there is none). */
export function indexOf(events: readonly WorkflowEvent[], predicate: (event: WorkflowEvent) => boolean): number {
  const index = events.findIndex(predicate);
  if (index < 0) throw new Error('no event matches');
  return index;
}

/** An error with the fields our assertions read. */
export interface CodedError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Runs `thunk`, which must throw; returns what it threw. */
export function thrownBy(thunk: () => unknown): CodedError {
  try {
    thunk();
  } catch (error) {
    return error as CodedError;
  }
  throw new Error('expected a throw');
}

/** Awaits `promise`, which must reject; returns the reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (error) {
    return error as CodedError;
  }
  throw new Error('expected a rejection');
}

/**
 * A TCP gate on localhost (the worker side is `fixtures/gate-client.ts`). Handlers connect and wait; the
 * gate answers them all when the test calls `open()`, or by itself once `openAt` handlers have arrived.
 * `fallbackMs` only keeps a broken runtime from hanging the suite: a test asserts on the answer
 * (`go` when the gate opened as intended, `timeout` otherwise), never on time.
 */
export interface Gate extends AsyncDisposable {
  readonly port: number;
  /** Handlers that have connected so far. */
  readonly arrivals: readonly string[];
  open(answer?: string): void;
  close(): Promise<void>;
}

export async function createGate(
  options: { readonly openAt?: number; readonly fallbackMs?: number } = {},
): Promise<Gate> {
  const waiting: Socket[] = [];
  const arrivals: string[] = [];
  let answer: string | undefined;
  const open = (value = 'go'): void => {
    if (answer !== undefined) return;
    answer = value;
    for (const socket of waiting.splice(0)) socket.end(value);
  };
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    socket.once('data', (who: string) => {
      arrivals.push(who);
      if (answer !== undefined) socket.end(answer);
      else waiting.push(socket);
      if (options.openAt !== undefined && arrivals.length >= options.openAt) open('go');
    });
  });
  const fallback = setTimeout(() => {
    open('timeout');
  }, options.fallbackMs ?? 5_000);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    clearTimeout(fallback);
    open('closed');
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  };
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    open,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A store that passes every call to `inner` except the ones given (a save that fails or records, a load
 * that tampers): how the tests put a faulty disk or a probe between a workflow and a real store.
 */
export function delegatingStore(
  inner: CheckpointStore,
  overrides: Partial<Pick<CheckpointStore, 'save' | 'load'>>,
): CheckpointStore {
  const store: CheckpointStore = {
    kind: inner.kind,
    save: overrides.save ?? ((write) => inner.save(write)),
    load: overrides.load ?? ((id) => inner.load(id)),
    list: (filter) => inner.list(filter),
    latest: (filter) => inner.latest(filter),
    delete: (id) => inner.delete(id),
    prune: (policy) => inner.prune(policy),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  return store;
}
