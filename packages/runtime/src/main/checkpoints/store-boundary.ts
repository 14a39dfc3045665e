/**
 * What every checkpoint store does at its boundary: refuse calls once closed, let `close()` wait for calls
 * in flight, report driver failures as `CHECKPOINT_STORE_FAILED` (cause kept), and hand out bytes that
 * alias nothing (guarantee 26).
 */
import { SuperstepError } from '../../shared/errors.ts';

/** A store's lifecycle. `closing`: new calls are refused while calls in flight finish. */
export type StoreStatus = 'open' | 'closing' | 'closed';

export interface StoreBoundary {
  readonly status: StoreStatus;
  /** Runs one public call: refused unless open; failures not already ours become `CHECKPOINT_STORE_FAILED`. */
  call<T>(operation: string, body: () => Promise<T> | T): Promise<T>;
  /** Idempotent: stops new calls, waits for those in flight, then runs `release` once. */
  close(release: () => Promise<void> | void): Promise<void>;
}

/** Creates the boundary of a store of `kind` (`memory`, `file`, `sqlite`, `postgres`). */
export function createStoreBoundary(kind: string): StoreBoundary {
  let status: StoreStatus = 'open';
  let closed: Promise<void> | undefined;
  /** Calls in flight, and what `close()` waits on until they are done (a count: saves are hot). */
  let inFlight = 0;
  let drained: (() => void) | undefined;

  return {
    get status() {
      return status;
    },
    call<T>(operation: string, body: () => Promise<T> | T): Promise<T> {
      if (status !== 'open') {
        return Promise.reject(
          new SuperstepError('CHECKPOINT_STORE_CLOSED', `the ${kind} checkpoint store is closed (${operation})`, {
            details: { store: kind, operation },
          }),
        );
      }
      inFlight++;
      return (async () => {
        try {
          return await body();
        } catch (error) {
          throw storeFailed(kind, operation, error);
        } finally {
          if (--inFlight === 0) drained?.();
        }
      })();
    },
    close(release) {
      closed ??= (async () => {
        status = 'closing';
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            drained = resolve;
          });
        }
        try {
          await release();
        } catch (error) {
          throw storeFailed(kind, 'close', error);
        } finally {
          status = 'closed';
        }
      })();
      return closed;
    },
  };
}

/** Our own errors pass through; anything else (fs, SQLite, pg) is wrapped with the cause preserved. */
function storeFailed(kind: string, operation: string, error: unknown): SuperstepError {
  if (error instanceof SuperstepError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new SuperstepError('CHECKPOINT_STORE_FAILED', `${kind} checkpoint store: ${operation} failed: ${reason}`, {
    cause: error,
    details: { store: kind, operation },
  });
}

/** A copy in a fresh buffer of its own: what the caller passed in can change without touching the store. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * Bytes a driver just produced (a `Buffer` from fs, SQLite or pg) as a plain `Uint8Array`. A buffer that
 * owns its whole `ArrayBuffer` is wrapped without copying; a slice of Node's shared pool is copied, so the
 * result never exposes or shares memory with anything else.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

/** A `Buffer` view of `bytes` (no copy) for drivers that accept only Buffers. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
