/**
 * A superstep at its barrier: what every reply and every sub-workflow node carried, read into one record
 * before anything is committed — a reply the runtime cannot read fails the superstep here, with nothing
 * changed (instance-state.ts commits the record).
 */
import type { WorkflowEvent } from '../../shared/events.ts';
import { sendsOf, type HostEvent, type OutboxRun, type StepReply } from '../../shared/protocol.ts';
import type { ChildStepResult, PendingRequest } from './coordinator-types.ts';
import type { BatchResult } from './host-dispatch.ts';
import { hostOf, type StepFailure } from './verdict.ts';

/** A snapshot a host encoded, with its blob key if the host computed one. */
export type DraftSnapshot = readonly [actorId: string, bytes: Uint8Array, key: string | null];

export interface Barrier {
  readonly kind: 'barrier';
  readonly superstep: number;
  /** The hosts' replies in queue order (their shared-state writes are committed from them). */
  readonly replies: readonly StepReply[];
  /** Own copies of the changed actors' snapshots. */
  readonly snapshots: readonly DraftSnapshot[];
  /** Messages sent, to be routed; a sub-workflow node's outputs flow on as its messages (guarantee 43). */
  readonly outbox: readonly OutboxRun[];
  readonly outputs: readonly (readonly [executorId: string, data: unknown])[];
  /** Requests made, executors' and sub-workflow nodes', in that order. */
  readonly requests: readonly PendingRequest[];
}

/**
 * Sorts an attempt's batch results, in queue order, into the replies and the failures (a reply's handler
 * failure among them); hands each reply's events to `emit`. A host that died fails every batch it held
 * (it may hold two): it is reported once.
 */
export function gatherReplies(
  results: readonly BatchResult[],
  emit: (event: HostEvent) => void,
): { replies: StepReply[]; failures: StepFailure[] } {
  const replies: StepReply[] = [];
  const failures: StepFailure[] = [];
  const lostHosts = new Set<number>();
  for (const result of results) {
    if (!result.ok) {
      const host = hostOf(result.failure);
      if (host !== null && lostHosts.has(host)) continue;
      if (host !== null) lostHosts.add(host);
      failures.push(result.failure);
      continue;
    }
    replies.push(result.reply);
    for (const event of result.reply.events) emit(event);
    if (result.reply.failure !== null) failures.push({ kind: 'handler-failed', ...result.reply.failure });
  }
  return { replies, failures };
}

/** An event a host sent, as the run reports it. */
export function toEvent(event: HostEvent, superstep: number): WorkflowEvent {
  switch (event[0]) {
    case 'custom':
      return { type: 'custom', executorId: event[1], superstep, name: event[2], data: event[3] };
    case 'warning':
      return { type: 'warning', code: event[1], message: event[2], superstep, details: event[3] };
  }
}

/** Reads an attempt that the barrier commits. */
export function readBarrier(
  superstep: number,
  replies: readonly StepReply[],
  childResults: readonly (readonly [string, ChildStepResult])[],
): Barrier {
  const snapshots: DraftSnapshot[] = [];
  const outbox: OutboxRun[] = [];
  const outputs: (readonly [string, unknown])[] = [];
  const requests: PendingRequest[] = [];
  for (const reply of replies) {
    for (const [actorId, view, key] of reply.snapshots) {
      // Own copy, so the reply's buffer can go; never written from here on (see snapshot-bytes.ts).
      snapshots.push([actorId, Uint8Array.prototype.slice.call(view), key]);
    }
    for (const entry of reply.outbox) outbox.push(entry);
    for (const output of reply.outputs) outputs.push(output);
    for (const [executorId, requestId, data] of reply.requests)
      requests.push({ requestId, executorId, data, superstep });
  }
  for (const [id, result] of childResults) for (const output of result.outputs) sendsOf(outbox, id).push(null, output);
  for (const [, result] of childResults) {
    for (const { executorId, requestId, data } of result.requests) {
      requests.push({ requestId, executorId, data, superstep });
    }
  }
  return { kind: 'barrier', superstep, replies, snapshots, outbox, outputs, requests };
}
