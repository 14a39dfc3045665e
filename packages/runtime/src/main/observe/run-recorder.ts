/**
 * A run recorder: keeps what a run did and when — its events, every handler invocation as the hosts
 * timed it, superstep attempts, checkpoint writes, requests — and writes it as one self-contained HTML
 * timeline (see timeline-html.ts). Pass it as a run option; a recorder may watch several runs.
 */
import { writeFile } from 'node:fs/promises';
import type { WorkflowEvent } from '../../shared/events.ts';
import { renderTimeline } from './timeline-html.ts';

/** One handler invocation on a host thread. Times are epoch milliseconds with fractions. */
export interface HandlerRecord {
  readonly executorId: string;
  readonly superstep: number;
  /** The superstep's attempt (a superstep is replayed after a lost worker). */
  readonly attempt: number;
  readonly threadId: number;
  readonly start: number;
  readonly end: number;
  readonly messages: number;
  /** Calls retried under the executor's retry policy. */
  readonly retries: number;
  readonly failed: boolean;
  /** Its superstep attempt was rolled back: nothing it did was kept. */
  readonly rolledBack: boolean;
}

/** One attempt of a superstep, from its dispatch to its barrier. */
export interface AttemptRecord {
  readonly superstep: number;
  readonly attempt: number;
  readonly start: number;
  readonly end: number;
  readonly outcome: 'committed' | 'failed' | 'replayed' | 'cancelled';
}

/** One superstep, from its start to its commit (or the run's end in it). */
export interface StepRecord {
  readonly superstep: number;
  readonly start: number;
  readonly end: number;
  readonly outcome: 'committed' | 'failed' | 'cancelled';
  readonly attempts: number;
}

/** One checkpoint write (of the barrier of `superstep`, written while the next superstep runs). */
export type CheckpointRecord = {
  readonly superstep: number;
  readonly start: number;
  readonly end: number;
  readonly store: string;
} & ({ readonly ok: true; readonly checkpointId: string } | { readonly ok: false; readonly error: string });

/** A request from the barrier that made it to its answer (`end` undefined: still waiting). */
export interface RequestRecord {
  readonly requestId: string;
  readonly executorId: string;
  readonly superstep: number;
  readonly start: number;
  end?: number;
  outcome?: 'answered' | 'dropped';
}

export interface RunRecord {
  readonly runId: string;
  readonly start: number;
  end?: number;
  status?: string;
}

/** A run's events with the time each was emitted. */
export interface TimedEvent {
  readonly at: number;
  readonly event: WorkflowEvent;
}

/** Everything a recorder holds; what the timeline is drawn from. */
export interface TimelineData {
  readonly runs: readonly RunRecord[];
  readonly steps: readonly StepRecord[];
  readonly attempts: readonly AttemptRecord[];
  readonly handlers: readonly HandlerRecord[];
  readonly checkpoints: readonly CheckpointRecord[];
  readonly requests: readonly RequestRecord[];
  readonly events: readonly TimedEvent[];
}

/**
 * Records runs for a timeline. Make one with {@link createRunRecorder}, pass it as `recorder` in the run
 * options, and write the page when the run is over.
 */
export interface RunRecorder {
  /** What has been recorded so far. */
  readonly data: TimelineData;
  /** The timeline as one self-contained HTML document (no network access needed to view it). */
  timelineHtml(options?: TimelineOptions): string;
  /** Writes {@link timelineHtml} to `path`. */
  writeTimeline(path: string, options?: TimelineOptions): Promise<void>;
}

export interface TimelineOptions {
  /** The page title (default: "superstep run timeline"). */
  readonly title?: string;
}

/** How the runtime feeds a recorder. Not public: a recorder is written only by the runs it watches. */
export interface RecorderSink {
  runStarted(runId: string, at: number): void;
  runEnded(runId: string, at: number, status: string): void;
  event(event: WorkflowEvent, at: number): void;
  handler(record: HandlerRecord): void;
  attempt(record: AttemptRecord): void;
  step(record: StepRecord): void;
  checkpoint(record: CheckpointRecord): void;
  requestOpened(record: RequestRecord): void;
  requestClosed(requestId: string, at: number, outcome: 'answered' | 'dropped'): void;
}

const sinks = new WeakMap<RunRecorder, RecorderSink>();

/** The sink behind a recorder made by {@link createRunRecorder}; `undefined` for anything else. */
export function recorderSink(recorder: RunRecorder | undefined): RecorderSink | undefined {
  return recorder === undefined ? undefined : sinks.get(recorder);
}

/**
 * Makes a recorder. While a recorder watches a run, hosts time each handler invocation (a clock read
 * per invocation) and the records are kept in memory until the recorder is dropped.
 *
 * @example
 * import { createRunRecorder } from '@superstep/runtime';
 * const recorder = createRunRecorder();
 * await workflow.run(input, { recorder }).result();
 * await recorder.writeTimeline('timeline.html');
 */
export function createRunRecorder(): RunRecorder {
  const runs: RunRecord[] = [];
  const steps: StepRecord[] = [];
  const attempts: AttemptRecord[] = [];
  const handlers: HandlerRecord[] = [];
  const checkpoints: CheckpointRecord[] = [];
  const requests: RequestRecord[] = [];
  const events: TimedEvent[] = [];
  const data: TimelineData = { runs, steps, attempts, handlers, checkpoints, requests, events };
  const recorder: RunRecorder = {
    data,
    timelineHtml: (options) => renderTimeline(data, options?.title ?? 'superstep run timeline'),
    writeTimeline: async (path, options) => {
      await writeFile(path, recorder.timelineHtml(options));
    },
  };
  sinks.set(recorder, {
    runStarted: (runId, at) => runs.push({ runId, start: at }),
    runEnded: (runId, at, status) => {
      const run = runs.findLast((r) => r.runId === runId);
      if (run === undefined) return;
      run.end = at;
      run.status = status;
    },
    event: (event, at) => events.push({ at, event }),
    handler: (record) => handlers.push(record),
    attempt: (record) => attempts.push(record),
    step: (record) => steps.push(record),
    checkpoint: (record) => checkpoints.push(record),
    requestOpened: (record) => requests.push(record),
    requestClosed: (requestId, at, outcome) => {
      const request = requests.findLast((r) => r.requestId === requestId && r.end === undefined);
      if (request === undefined) return;
      request.end = at;
      request.outcome = outcome;
    },
  });
  return recorder;
}
