/**
 * Where a workflow sends its runs' events besides each run's handle: a stream other processes can follow
 * (`natsEventStream()` from `@superstep/runtime/nats`). The runtime calls `publish` for every event of every
 * run in the order the handle sees them, and `flush` before the run's result settles, so an observer has
 * the final status by the time the coordinator's `result()` resolves.
 */
import type { WorkflowEvent } from '../../shared/events.ts';

/** A sink with the instance name its runs' events are published under. */
export interface PublishedEvents {
  readonly sink: RunEventSink;
  readonly instance: string;
}

/** The run an event belongs to. */
export interface RunEventOrigin {
  /** The workflow instance's name (`WorkflowOptions.name`, or the start executor's id). */
  readonly instance: string;
  readonly runId: string;
}

/**
 * Receives run events. `publish` must not throw or block: a sink queues and reports its own failures.
 *
 * @example
 * const lines: string[] = [];
 * const sink: RunEventSink = {
 *   publish: (event, { runId }) => void lines.push(`${runId} ${event.type}`),
 *   flush: () => Promise.resolve(),
 * };
 * const workflow = await builder.build({ events: sink });
 */
export interface RunEventSink {
  publish(event: WorkflowEvent, origin: RunEventOrigin): void;
  /** Resolves once everything published so far is delivered (or reported as failed). */
  flush(): Promise<void>;
}
