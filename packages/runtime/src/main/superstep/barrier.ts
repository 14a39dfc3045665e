/**
 * A superstep at its barrier: what every reply and every sub-workflow node carried, read into one record
 * before anything is committed — a reply the runtime cannot read fails the superstep here, with nothing
 * changed (instance-state.ts commits the record).
 */
import type { OutboxEntry, StepReply } from '../../shared/protocol.ts';
import type { ChildStepResult, PendingRequest } from './coordinator-types.ts';

/** A snapshot a host encoded, with its blob key if the host computed one. */
export type DraftSnapshot = readonly [actorId: string, bytes: Uint8Array, key: string | null];

export interface Barrier {
  readonly superstep: number;
  /** The hosts' replies in queue order (their shared-state writes are committed from them). */
  readonly replies: readonly StepReply[];
  /** Own copies of the changed actors' snapshots. */
  readonly snapshots: readonly DraftSnapshot[];
  /** Messages sent, to be routed; a sub-workflow node's outputs flow on as its messages (guarantee 43). */
  readonly outbox: readonly OutboxEntry[];
  readonly outputs: readonly (readonly [executorId: string, data: unknown])[];
  /** Requests made, executors' and sub-workflow nodes', in that order. */
  readonly requests: readonly PendingRequest[];
}

/** Reads an attempt that the barrier commits. */
export function readBarrier(
  superstep: number,
  replies: readonly StepReply[],
  childResults: readonly (readonly [string, ChildStepResult])[],
): Barrier {
  const snapshots: DraftSnapshot[] = [];
  const outbox: OutboxEntry[] = [];
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
  for (const [id, result] of childResults) for (const output of result.outputs) outbox.push([id, null, output]);
  for (const [, result] of childResults) {
    for (const { executorId, requestId, data } of result.requests) {
      requests.push({ requestId, executorId, data, superstep });
    }
  }
  return { superstep, replies, snapshots, outbox, outputs, requests };
}
