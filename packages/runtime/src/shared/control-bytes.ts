/**
 * The control plane as codec messages, for a transport that carries only bytes (the loopback, a broker):
 * each {@link HostControl} call is a {@link ControlCall} with an id, answered by a {@link ControlResult}
 * with the same id, in any order. Errors cross as {@link ErrorRecord}s, so codes and details survive.
 */
import { fromErrorRecord, SuperstepError, toErrorRecord } from './errors.ts';
import type { ControlCall, ControlResult, ExecutorInfo, HostControl, HostHealth, ResponseCheck } from './protocol.ts';

/** Every method of {@link HostControl}: a call naming anything else is refused. */
const CONTROL_METHODS: readonly (keyof HostControl)[] = [
  'loadInstance',
  'dropInstance',
  'commit',
  'rollback',
  'prepareStates',
  'commitPrepared',
  'discardPrepared',
  'validateResponse',
  'abort',
  'ping',
  'memory',
];

/** The calling side: a {@link HostControl} whose calls go out through `send`. */
export class ControlClient {
  readonly control: HostControl;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(send: (call: ControlCall) => void) {
    const call = <T>(method: keyof HostControl, ...args: unknown[]): Promise<T> =>
      new Promise<unknown>((resolve, reject) => {
        const id = this.nextId++;
        this.waiting.set(id, { resolve, reject });
        try {
          send({ op: 'call', id, method, args });
        } catch (error) {
          this.waiting.delete(id);
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }) as Promise<T>;
    this.control = {
      loadInstance: (request) => call<ExecutorInfo[]>('loadInstance', request),
      dropInstance: (instance) => call<undefined>('dropInstance', instance),
      commit: (instance, at) => call<undefined>('commit', instance, at),
      rollback: (instance, at) => call<undefined>('rollback', instance, at),
      prepareStates: (instance, request) => call<undefined>('prepareStates', instance, request),
      commitPrepared: (instance) => call<undefined>('commitPrepared', instance),
      discardPrepared: (instance) => call<undefined>('discardPrepared', instance),
      validateResponse: (instance, executorId, value) =>
        call<ResponseCheck>('validateResponse', instance, executorId, value),
      abort: (instance, reason, run) => call<undefined>('abort', instance, reason, run),
      ping: () => call<HostHealth>('ping'),
      memory: () => call<HostHealth>('memory'),
    };
  }

  /** Settles the call `result` answers; a result for no call (already failed) is dropped. */
  settle(result: ControlResult): void {
    const waiter = this.waiting.get(result.id);
    if (waiter === undefined) return;
    this.waiting.delete(result.id);
    if (result.ok) waiter.resolve(result.value);
    else waiter.reject(fromErrorRecord(result.error));
  }

  /** Fails every call still waiting (the host was lost). */
  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** The serving side: runs `call` on `api` and says how it went. */
export async function answerControl(api: HostControl, call: ControlCall): Promise<ControlResult> {
  try {
    // The call came as bytes: its method name is checked against the contract before anything runs.
    const method: unknown = CONTROL_METHODS.includes(call.method) ? Reflect.get(api, call.method) : undefined;
    if (typeof method !== 'function')
      throw new SuperstepError('INTERNAL', `no control method ${JSON.stringify(call.method)}`);
    const value: unknown = await (Reflect.apply(method, api, [...call.args]) as Promise<unknown>);
    return { op: 'result', id: call.id, ok: true, value };
  } catch (error) {
    return { op: 'result', id: call.id, ok: false, error: toErrorRecord(error) };
  }
}
