/**
 * Drives a sub-workflow node (guarantees 43–44): a child workflow instance on the same pool, advanced by the
 * parent's coordinator inside the parent's superstep. Each message to the node runs the child to rest;
 * each answer resumes it. The child ends its runs when only requests are left, so its questions surface at
 * the parent (with their own ids) instead of holding the parent's superstep open.
 */
import type { WorkflowEvent } from '../../shared/events.ts';
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

export class SubWorkflowRunner implements ChildRunner {
  constructor(
    readonly nodeId: string,
    private readonly child: ChildWorkflow,
  ) {}

  async step(messages: readonly (readonly [string, unknown])[], run: RunContext): Promise<ChildStepResult> {
    const outputs: unknown[] = [];
    const requests: PendingRequest[] = [];
    // A child re-emits its pending requests at the start of every run: only new ids surface at the parent.
    const surfaced = new Set(this.child.cut().requests.map((request) => request.requestId));
    for (const [source, payload] of messages) {
      const options = { signal: run.signal, onPendingRequests: 'end' } as const;
      const handle =
        source === RESPONSE_SOURCE
          ? this.child.resume({ ...options, responses: { [(payload as Answer).requestId]: (payload as Answer).value } })
          : this.child.run(payload, options);
      for await (const event of handle) {
        if (event.type === 'request') {
          if (!surfaced.has(event.requestId)) {
            surfaced.add(event.requestId);
            requests.push({
              requestId: event.requestId,
              executorId: this.nodeId,
              data: event.data,
              superstep: event.superstep,
            });
          }
          continue;
        }
        run.events.emit(
          event.type === 'subworkflow'
            ? { type: 'subworkflow', executorId: this.nodeId, path: [this.nodeId, ...event.path], event: event.event }
            : { type: 'subworkflow', executorId: this.nodeId, path: [this.nodeId], event },
        );
      }
      outputs.push(...(await handle.result()).outputs);
    }
    return { outputs, requests };
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
