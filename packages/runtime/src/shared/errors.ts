/**
 * Every error the runtime raises is a {@link SuperstepError} with a stable string `code`.
 * The codes live in one table ({@link ERROR_CODES}) so that `docs/errors.md` and a test can check that
 * each is unique and documented. Errors cross threads as plain {@link ErrorRecord}s, because structured
 * clone and msgpack both drop custom properties of `Error` objects.
 */

/** The one table of error codes: code → what it means. Keep `docs/errors.md` in step (a test checks). */
export const ERROR_CODES = {
  INVALID_OPTION: 'An option passed to a public function is missing, of the wrong type or out of range.',
  INVALID_EXECUTOR_REF: 'An executor reference is malformed (empty id, missing module or export name).',
  GRAPH_DUPLICATE_EXECUTOR: 'Two different executors were registered under one id.',
  GRAPH_DUPLICATE_EDGE: 'The same edge (same kind, same ends) was added twice.',
  GRAPH_MISSING_START: 'The workflow has no start executor.',
  GRAPH_UNREACHABLE_EXECUTOR: 'An executor cannot be reached from the start executor along any edge.',
  GRAPH_UNKNOWN_EXECUTOR: 'An edge names an executor id that was never registered.',
  GRAPH_FAN_TOO_FEW: 'A fan-out or fan-in edge group has fewer than two ends.',
  EXECUTOR_LOAD_FAILED:
    'A worker could not import an executor module, or the named export is missing or not an executor.',
  MODULE_NOT_ALLOWED:
    'A remote actor host refused to import an executor module outside the allow-list it was started with (its root and packages).',
  EXECUTOR_FAILED: 'An executor handler threw; `original` holds the thrown error (name, message, code).',
  EXECUTOR_TIMEOUT: "A handler ran past its executor's timeoutMs; its worker was terminated and replaced.",
  EXECUTOR_STATELESS_STATE: 'A stateless executor tried to set actor state (reading it gives undefined).',
  EVENT_NAME_RESERVED: 'An executor tried to emit a custom event under a framework event type.',
  CONTEXT_CLOSED:
    "A handler's context was used after the handler settled (from a timer or a promise it left behind); nothing was done.",
  SERIALIZATION_FAILED: 'A message, output, state or event value cannot be carried by the codec.',
  DECODE_FAILED: 'Bytes could not be decoded (truncated or corrupted msgpack).',
  CONVERGENCE_LIMIT: 'A run still had messages queued after its superstep limit.',
  WORKFLOW_BUSY: 'run() was called while another run holds the workflow instance.',
  LEASE_LOST:
    "The run's lease on its named instance ended (expired, or taken by another coordinator); its later commits are refused.",
  WORKFLOW_CLOSED: 'The workflow instance or its pool has been closed.',
  RUN_CANCELLED: 'The run was cancelled (by its AbortSignal or by cancel()).',
  HANDLE_ITERATED: 'A run handle was iterated twice; its event stream has one consumer.',
  WORKER_LOST:
    'An actor host (a worker thread, or a host behind another transport) was lost while it held actors of this run.',
  POOL_START_FAILED: 'The worker pool could not start its actor hosts.',
  CHECKPOINT_NOT_FOUND: 'No checkpoint with that id in the store.',
  CHECKPOINT_CORRUPT: 'Checkpoint bytes are truncated, corrupted or of the wrong shape; nothing was applied.',
  CHECKPOINT_VERSION_UNSUPPORTED: 'The checkpoint was written in a format version this runtime does not read.',
  CHECKPOINT_SIGNATURE_MISMATCH: 'The checkpoint was made by a workflow with a different graph; nothing was applied.',
  CHECKPOINT_STORE_REQUIRED: 'The operation needs a checkpoint store and none was configured or passed.',
  WORKFLOW_NOT_IDLE:
    'The operation needs an idle instance with nothing queued (messages are left from a failed run, or a run is active).',
  RESET_FAILED: 'A reset hook threw; the instance was left exactly as before the reset.',
  CHECKPOINT_ID_INVALID: 'A checkpoint id is not 1–128 characters of `[A-Za-z0-9_-]` (so it could escape a store).',
  CHECKPOINT_EXISTS: 'A checkpoint with that id is already stored; stored checkpoints are immutable.',
  CHECKPOINT_BLOB_MISSING:
    'A checkpoint names a snapshot blob that is neither shipped with it nor in the store; nothing was written.',
  CHECKPOINT_STORE_FAILED:
    'The checkpoint store could not read or write (disk, SQLite or PostgreSQL); `cause` says why.',
  CHECKPOINT_STORE_CLOSED: 'The checkpoint store has been closed.',
  REQUEST_UNKNOWN: 'respond() named a request id that is not pending in this workflow instance.',
  REQUEST_ALREADY_ANSWERED: 'respond() was called a second time for the same request id.',
  RESPONSE_INVALID:
    "The answer was rejected by the executor's responseSchema (or cannot be serialised); nothing changed.",
  RUN_ENDED: 'The run handle was used after its run ended (respond on a finished run).',
  OPTIONAL_DEPENDENCY_MISSING:
    'A feature needs an optional package that is not installed (`details.package`: a store driver, or tsx for `.ts` executor modules).',
  NATS_UNAVAILABLE: 'A NATS feature (lease, event stream) could not reach the server or use its JetStream API.',
  INTERNAL: 'A broken invariant inside the runtime: please report it with the stack.',
} as const satisfies Record<string, string>;

/** A stable, documented error code. Callers branch on this, never on message text. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A thrown value reduced to what survives a thread boundary. */
export interface ErrorRecord {
  readonly code: string;
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  /** For `EXECUTOR_FAILED`: the error the handler threw, as thrown. */
  readonly original?: ErrorRecord | undefined;
}

export interface SuperstepErrorOptions {
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly cause?: unknown;
  readonly original?: ErrorRecord | undefined;
}

/**
 * The runtime's error class. `code` is one of {@link ERROR_CODES}; `details` names what failed
 * (executor id, module, option, path…); `original` carries a handler's own error for `EXECUTOR_FAILED`.
 *
 * @example
 * try { workflow.run(input) } catch (error) {
 *   if (error instanceof SuperstepError && error.code === 'WORKFLOW_BUSY') retryLater();
 * }
 */
export class SuperstepError extends Error {
  override readonly name = 'SuperstepError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly original: ErrorRecord | undefined;

  constructor(code: ErrorCode, message: string, options: SuperstepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
    this.original = options.original;
  }

  /** The record form, for crossing a thread boundary or storing in a checkpoint. */
  toRecord(): ErrorRecord {
    return {
      code: this.code,
      name: this.name,
      message: this.message,
      stack: this.stack,
      details: this.details,
      original: this.original,
    };
  }
}

/** Type guard that also narrows on the code. */
export function isSuperstepError<C extends ErrorCode>(value: unknown, code?: C): value is SuperstepError & { code: C } {
  return value instanceof SuperstepError && (code === undefined || value.code === code);
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Reduces any thrown value to a record; user errors keep their own `code` if they have one. */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (error instanceof SuperstepError) return error.toRecord();
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'ERROR',
      name: error.name,
      message: error.message,
      stack: error.stack,
    };
  }
  return { code: 'ERROR', name: 'NonError', message: String(error) };
}

/**
 * Rebuilds an error on this side of a boundary. Records carrying one of our codes come back as
 * {@link SuperstepError}s (same code, details and original); anything else as a plain Error with
 * `code` set, so the caller still sees the original's code and message.
 */
export function fromErrorRecord(record: ErrorRecord): Error {
  if (record.name === 'SuperstepError' && isErrorCode(record.code)) {
    const error = new SuperstepError(record.code, record.message, {
      details: record.details,
      original: record.original,
    });
    if (record.stack !== undefined) error.stack = record.stack;
    return error;
  }
  const error = new Error(record.message) as Error & { code: string };
  error.name = record.name;
  error.code = record.code;
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}
