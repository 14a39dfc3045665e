/**
 * A run recorder: keeps what a run did and when — its events, every handler invocation as the hosts
 * timed it, superstep attempts, checkpoint writes, requests — and writes it as one self-contained HTML
 * timeline (see timeline-html.ts). Pass it as a run option; a recorder may watch several runs.
 */
import { writeFile } from 'node:fs/promises';
import type { WorkflowEvent } from '../../shared/events.ts';
import type {
  AttemptRecord,
  CheckpointRecord,
  HandlerRecord,
  RequestRecord,
  RunRecord,
  StepRecord,
  TimedEvent,
  TimelineData,
} from './timeline-data.ts';
import { renderTimeline } from './timeline-html.ts';

export type {
  HandlerRecord,
  AttemptRecord,
  StepRecord,
  CheckpointRecord,
  RequestRecord,
  RunRecord,
  TimedEvent,
  TimelineData,
} from './timeline-data.ts';

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
