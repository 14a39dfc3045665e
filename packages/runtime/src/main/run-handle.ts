/**
 * The handle of one run: an `AsyncIterable` of its events, streamed live (SPEC 14), its result, and
 * cancellation. Disposing it (or breaking out of its iteration) cancels a run still going and waits
 * until the reservation is released (SPEC 31).
 */
import { SuperstepError } from '../shared/errors.ts';
import type { RunStatus, WorkflowEvent } from '../shared/events.ts';
import type { EventChannel } from './event-channel.ts';

/** What a successful run produced. */
export interface RunResult<Output = unknown> {
  readonly runId: string;
  readonly status: Extract<RunStatus, 'idle' | 'idle-with-pending-requests'>;
  /** Every output the run yielded, in the order of the `output` events. */
  readonly outputs: readonly Output[];
  /** Supersteps executed. */
  readonly supersteps: number;
}

/** How a run ended, as the coordinator reports it (never rejects: a lone rejection would go unhandled). */
export type RunOutcome<Output> =
  | { readonly ok: true; readonly result: RunResult<Output> }
  | { readonly ok: false; readonly error: Error; readonly status: 'failed' | 'cancelled' };

export interface RunHandleParts<Output> {
  readonly runId: string;
  readonly events: EventChannel<WorkflowEvent>;
  readonly outcome: Promise<RunOutcome<Output>>;
  readonly status: () => RunStatus;
  readonly cancel: (reason: string) => void;
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
  private readonly parts: RunHandleParts<Output>;

  /** @internal made by `Workflow.run()` */
  constructor(parts: RunHandleParts<Output>) {
    this.parts = parts;
    this.runId = parts.runId;
  }

  /** The run's current status. */
  get status(): RunStatus {
    return this.parts.status();
  }

  /**
   * Resolves when the run ends idle; rejects with the run's error when it fails (SPEC 8: the handler's
   * error code and message) or with `RUN_CANCELLED`.
   */
  async result(): Promise<RunResult<Output>> {
    const outcome = await this.parts.outcome;
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  }

  /** Cancels the run; resolves once it has stopped and released the workflow. Idempotent. */
  async cancel(reason = 'cancelled by caller'): Promise<void> {
    this.parts.cancel(reason);
    await this.parts.outcome;
  }

  /** One consumer only: a second iteration throws `HANDLE_ITERATED`. Breaking out cancels the run. */
  [Symbol.asyncIterator](): AsyncIterator<WorkflowEvent> {
    if (this.iterated) {
      throw new SuperstepError('HANDLE_ITERATED', `run ${this.runId}: its events can be iterated once`);
    }
    this.iterated = true;
    const inner = this.parts.events[Symbol.asyncIterator]();
    return {
      next: () => inner.next(),
      return: async () => {
        await this.cancel('event iteration stopped early');
        return { value: undefined, done: true };
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cancel('run handle disposed');
  }
}
