/**
 * The control plane: the only module that touches comlink. Typed RPC over a MessagePort for the rare
 * calls of {@link HostControl}. Imported on both threads; it takes the port as a parameter, so it needs
 * no `node:worker_threads` itself.
 */
// comlink has no `exports` map and its `main` is UMD, so the ESM build is imported by path (values only);
// types come from the package root, which is what the published declarations refer to.
import type { Remote } from 'comlink';
import { expose, transfer, transferHandlers, wrap, releaseProxy } from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from './errors.ts';

// comlink's own 'throw' handler keeps only name, message and stack: codes and details would be lost.
// Ours sends an ErrorRecord and rebuilds a SuperstepError (same code) on the other side. It must be
// installed on both sides, which importing this module does.
// comlink marks a thrown value with an unregistered symbol, so it is recognised by its description.
interface Thrown {
  value: unknown;
}
const isThrown = (value: unknown): value is Thrown =>
  typeof value === 'object' &&
  value !== null &&
  Object.getOwnPropertySymbols(value).some((symbol) => symbol.description === 'Comlink.thrown');
transferHandlers.set('throw', {
  canHandle: isThrown,
  serialize: (thrown: unknown): [ErrorRecord, never[]] => [toErrorRecord((thrown as Thrown).value), []],
  deserialize: (record: unknown): never => {
    throw fromErrorRecord(record as ErrorRecord);
  },
});

/** What comlink's Node adapter needs of a MessagePort. */
export interface NodeEndpoint {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(type: 'message', listener: (data: unknown) => void): void;
  off(type: 'message', listener: (data: unknown) => void): void;
  start?: () => void;
}

/** Serves `api` on `port` (worker side). */
export function serveControl(api: object, port: NodeEndpoint): void {
  expose(api, nodeEndpoint(port));
}

/** A typed client of the API served on `port` (main side), and a function that releases it. */
export function connectControl<T>(port: NodeEndpoint): { api: Remote<T>; release: () => void } {
  const api = wrap<T>(nodeEndpoint(port));
  return {
    api,
    release: () => {
      api[releaseProxy]();
    },
  };
}

/**
 * Marks `value`, an argument of a control call, to be posted with `buffers` transferred rather than copied
 * (the caller must not touch them afterwards). Returns `value`.
 */
export function transferring<T>(value: T, buffers: readonly ArrayBuffer[]): T {
  return transfer(value, [...buffers]);
}
