/**
 * Drives a sub-workflow node (guarantees 43–44): a child workflow instance on the same pool, advanced by the
 * parent's coordinator inside the parent's superstep. Each message to the node runs the child to rest;
 * each answer resumes it. The child ends its runs when only requests are left, so its questions surface at
 * the parent (with their own ids) instead of holding the parent's superstep open.
 */
import type { RequestEvent, WorkflowEvent } from '../../shared/events.ts';
import { RESPONSE_SOURCE } from '../../shared/protocol.ts';
import type { ChildRunner, ChildStepResult, InstanceCut, PendingRequest, RunContext } from './coordinator-types.ts';

/** What the parent needs of a child workflow; the child's instance (instance/workflow-instance.ts) provides it. */
export interface ChildWorkflow {
  run(input: unknown, options: { signal: AbortSignal; onPendingRequests: 'end' }): ChildHandle;
  resume(options: { signal: AbortSignal; onPendingRequests: 'end'; responses: Record<string, unknown> }): ChildHandle;
  /** The child's state at its last barrier, its own sub-workflows included. */
  cut(): InstanceCut;
  /** Returns the child, its own sub-workflows included, to `cut`. */
  replace(cut: InstanceCut): Promise<void>;
  validateResponse(requestId: string, value: unknown): Promise<unknown>;
}

interface ChildHandle extends AsyncIterable<WorkflowEvent> {
  result(): Promise<{ readonly outputs: readonly unknown[] }>;
}

interface Answer {
  readonly requestId: string;
  readonly value: unknown;
}

/** What one child run surfaced: requests for the parent, and answers the node's `onRequest` gave itself. */
interface Collected {
  /** Request ids already seen (a child re-emits its pending requests at the start of every run). */
  readonly surfaced: Set<string>;
  readonly requests: PendingRequest[];
  readonly answers: Map<string, unknown>;
}

type Intercept = (request: RequestEvent) => unknown;

export class SubWorkflowRunner implements ChildRunner {
  constructor(
    readonly nodeId: string,
    private readonly child: ChildWorkflow,
    /** The node's `onRequest` (guarantee 60): answers the child's requests at the parent, or lets them surface. */
    private readonly intercept?: Intercept,
  ) {}

  async step(messages: readonly (readonly [string, unknown])[], run: RunContext): Promise<ChildStepResult> {
    const outputs: unknown[] = [];
    const surfaced = new Set(this.child.cut().requests.map((request) => request.requestId));
    const collected: Collected = { surfaced, requests: [], answers: new Map() };
    const options = { signal: run.signal, onPendingRequests: 'end' } as const;
    for (const [source, payload] of messages) {
      let handle =
        source === RESPONSE_SOURCE
          ? this.child.resume({ ...options, responses: { [(payload as Answer).requestId]: (payload as Answer).value } })
          : this.child.run(payload, options);
      for (;;) {
        await this.drain(handle, run, collected);
        outputs.push(...(await handle.result()).outputs);
        if (collected.answers.size === 0) break;
        // The node answered some of the child's questions itself: the child goes on with them, in this superstep.
        const responses = Object.fromEntries(collected.answers);
        collected.answers.clear();
        handle = this.child.resume({ ...options, responses });
      }
    }
    return { outputs, requests: collected.requests };
  }

  /** Streams one child run's events into the parent's, and sorts its new requests: answered here, or surfaced. */
  private async drain(handle: ChildHandle, run: RunContext, collected: Collected): Promise<void> {
    for await (const event of handle) {
      if (event.type === 'request') {
        if (collected.surfaced.has(event.requestId)) continue;
        collected.surfaced.add(event.requestId);
        const answer = this.intercept === undefined ? undefined : await this.intercept(event);
        if (answer !== undefined) collected.answers.set(event.requestId, answer);
        else {
          const { requestId, data, superstep } = event;
          collected.requests.push({ requestId, executorId: this.nodeId, data, superstep });
        }
        continue;
      }
      run.events.emit(
        event.type === 'subworkflow'
          ? { type: 'subworkflow', executorId: this.nodeId, path: [this.nodeId, ...event.path], event: event.event }
          : { type: 'subworkflow', executorId: this.nodeId, path: [this.nodeId], event },
      );
    }
  }

  async validate(requestId: string, value: unknown): Promise<unknown> {
    return await this.child.validateResponse(requestId, value);
  }

  capture(): InstanceCut {
    return this.child.cut();
  }

  async restore(cut: InstanceCut): Promise<void> {
    await this.child.replace(cut);
  }
}
