/**
 * The handle of one run: an `AsyncIterable` of its events, streamed live (guarantee 14), its result, and
 * cancellation. Disposing it (or breaking out of its iteration) cancels a run still going and waits
 * until the reservation is released (guarantee 31).
 */
import { SuperstepError } from '../../shared/errors.ts';
import type { RunStatus, WorkflowEvent } from '../../shared/events.ts';
import type { EventChannel } from './event-channel.ts';
import type { PendingRequest } from '../superstep/coordinator-types.ts';

/** What a successful run produced. */
export interface RunResult<Output = unknown> {
  readonly runId: string;
  /** `idle-with-pending-requests` only for a run started with `onPendingRequests: 'end'`. */
  readonly status: Extract<RunStatus, 'idle' | 'idle-with-pending-requests'>;
  /** Requests still waiting for an answer when the run ended. */
  readonly pendingRequests: readonly PendingRequest[];
  /** Every output the run yielded, in the order of the `output` events. */
  readonly outputs: readonly Output[];
  /** Supersteps executed. */
  readonly supersteps: number;
}

/** How a run ended, as the coordinator reports it (never rejects: a lone rejection would go unhandled). */
export type RunOutcome<Output> =
  | { readonly ok: true; readonly result: RunResult<Output> }
  | { readonly ok: false; readonly error: Error; readonly status: 'failed' | 'cancelled' };

/** The run behind a handle (run.ts). */
export interface RunControl<Output> {
  readonly runId: string;
  readonly events: EventChannel<WorkflowEvent>;
  /** Settles when the run has ended and released the instance. */
  readonly done: Promise<RunOutcome<Output>>;
  readonly status: RunStatus;
  cancel(reason: string): void;
  /** Set by the handle while a consumer is iterating the events (so someone can see requests and answer them). */
  iterating: boolean;
  respond(requestId: string, value: unknown): Promise<void>;
}

let makeHandle: <Output>(run: RunControl<Output>) => RunHandle<Output>;

/** The handle of a run (handles are made only here: `RunHandle` has no public constructor). */
export function runHandle<Output>(run: RunControl<Output>): RunHandle<Output> {
  return makeHandle(run);
}

/**
 * A live run.
 *
 * @example
 * await using run = workflow.run(input);
 * for await (const event of run) {
 *   if (event.type === 'output') console.log(event.data);
 * }
 * const { outputs } = await run.result();
 */
export class RunHandle<Output = unknown> implements AsyncIterable<WorkflowEvent>, AsyncDisposable {
  readonly runId: string;
  private iterated = false;
  private readonly run: RunControl<Output>;

  static {
    makeHandle = (run) => new RunHandle(run);
  }

  private constructor(run: RunControl<Output>) {
    this.run = run;
    this.runId = run.runId;
  }

  /** The run's current status. */
  get status(): RunStatus {
    return this.run.status;
  }

  /**
   * Resolves when the run ends idle; rejects with the run's error when it fails (guarantee 8: the handler's
   * error code and message) or with `RUN_CANCELLED`. Called before the events are iterated, it also tells
   * the handle that nobody will read them, so from then on they are not kept: iterate first for both.
   */
  async result(): Promise<RunResult<Output>> {
    // Called before anyone iterates the events: nobody will read them, so they are not kept (a long run
    // would otherwise buffer every event until it ends). Iterate first to have both.
    if (!this.iterated) this.run.events.discard();
    const outcome = await this.run.done;
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  }

  /**
   * Answers a pending request while the run is live — still executing other actors, or waiting with
   * `waiting-for-answers` (guarantee 18). The answer reaches the executor's `onResponse` in the next
   * superstep. Rejects with `REQUEST_UNKNOWN`, `REQUEST_ALREADY_ANSWERED` or `RESPONSE_INVALID` and
   * changes nothing (guarantee 20); with `RUN_ENDED` after the run ended.
   *
   * @example
   * for await (const event of run) {
   *   if (event.type === 'request') await run.respond(event.requestId, { approved: true });
   * }
   */
  async respond(requestId: string, value: unknown): Promise<void> {
    await this.run.respond(requestId, value);
  }

  /** Cancels the run; resolves once it has stopped and released the workflow. Idempotent. */
  async cancel(reason = 'cancelled by caller'): Promise<void> {
    this.run.cancel(reason);
    await this.run.done;
  }

  /** One consumer only: a second iteration throws `HANDLE_ITERATED`. Breaking out cancels the run. */
  [Symbol.asyncIterator](): AsyncIterator<WorkflowEvent> {
    if (this.iterated) {
      throw new SuperstepError('HANDLE_ITERATED', `run ${this.runId}: its events can be iterated once`);
    }
    this.iterated = true;
    this.run.iterating = true;
    const inner = this.run.events[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await inner.next();
        if (result.done === true) this.run.iterating = false;
        return result;
      },
      return: async () => {
        this.run.iterating = false;
        await this.cancel('event iteration stopped early');
        return { value: undefined, done: true };
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cancel('run handle disposed');
  }
}
