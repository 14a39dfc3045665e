/**
 * A workflow instance, as applications see it: a validated graph whose actors live in a pool's workers,
 * run one run at a time. Only the documented API is here; the instance itself (its coordinator, runs,
 * checkpoints, and what a parent workflow needs of a sub-workflow) is instance/workflow-instance.ts, held
 * in a private field.
 */
import type { CheckpointMeta } from './checkpoints/checkpoint-store.ts';
import type { Graph } from './graph/graph.ts';
import { toMermaid } from './graph/mermaid.ts';
import { createInstance } from './instance/create-instance.ts';
import type { ResumeLatestResult, WorkflowInstance } from './instance/workflow-instance.ts';
import type { PendingRequest } from './superstep/coordinator-types.ts';
import type { LifecycleStatus } from './run/lifecycle.ts';
import type { RunHandle } from './run/run-handle.ts';
import type { ResumeOptions, RunOptions, StoreOptions, WorkflowOptions } from './workflow-options.ts';

let wrap: <Input, Output>(instance: WorkflowInstance) => Workflow<Input, Output>;

/** Builds a workflow from a validated graph (what `WorkflowBuilder.build()` calls). */
export async function buildWorkflow<Input, Output>(
  graph: Graph,
  options: WorkflowOptions | undefined,
): Promise<Workflow<Input, Output>> {
  return wrap<Input, Output>(await createInstance(graph, options));
}

/**
 * A built workflow. Make one with `WorkflowBuilder.build()`; close it (or `await using`) when done.
 *
 * @example
 * await using workflow = await builder.build({ threads: 2 });
 * const { outputs } = await workflow.run(input).result();
 */
export class Workflow<Input = unknown, Output = unknown> implements AsyncDisposable {
  /** Hash of the graph: checkpoints restore only into the same shape. */
  readonly signature: string;
  readonly graph: Graph;
  readonly #instance: WorkflowInstance;

  static {
    wrap = <I, O>(instance: WorkflowInstance) => new Workflow<I, O>(instance);
  }

  private constructor(instance: WorkflowInstance) {
    this.#instance = instance;
    this.graph = instance.graph;
    this.signature = instance.graph.signature;
  }

  /** The graph as Mermaid flowchart source (see `toMermaid`). */
  toMermaid(): string {
    return toMermaid(this.graph);
  }

  /** Where the instance is in its lifecycle: `idle`, `reserved`, `running` or `closed`. */
  get status(): LifecycleStatus {
    return this.#instance.status;
  }

  /**
   * Resolves once no run holds the instance — at once if none does; otherwise when the current run has ended and
   * released it (or the workflow is closed). For a run whose handle was dropped: it still runs to its end, and
   * this says when the instance is free for the next `run()`. Never rejects.
   *
   * @example
   * workflow.run(input); // handle dropped: the run goes on in the background
   * await workflow.idle();
   * const next = workflow.run(other); // no WORKFLOW_BUSY
   */
  idle(): Promise<void> {
    return this.#instance.idle();
  }

  /**
   * Starts a run. The reservation is synchronous (guarantee 29): while another run holds the instance this
   * throws `WORKFLOW_BUSY` at once and the running run is unaffected.
   *
   * @example
   * const run = workflow.run({ text }, { signal: AbortSignal.timeout(60_000) });
   * for await (const event of run) if (event.type === 'output') console.log(event.data);
   */
  run(input: Input, options?: RunOptions): RunHandle<Output> {
    return this.#instance.run<Output>(input, options);
  }

  /**
   * Carries on from the queued messages — after {@link restore}, or after a run that failed (its failed
   * superstep's messages are still queued). Supersteps are numbered on from the last barrier.
   *
   * @example
   * await workflow.restore(checkpointId);
   * const { outputs } = await workflow.resume().result();
   */
  resume(options?: ResumeOptions): RunHandle<Output> {
    return this.#instance.resume<Output>(options);
  }

  /**
   * Captures the whole idle instance as a checkpoint — also before its first run (guarantee 33). Refused with
   * `WORKFLOW_NOT_IDLE` if messages are still queued (from a failed run), or `WORKFLOW_BUSY` during a run.
   *
   * @example
   * const meta = await workflow.createCheckpoint();
   */
  async createCheckpoint(options?: StoreOptions): Promise<CheckpointMeta> {
    return await this.#instance.createCheckpoint(options);
  }

  /**
   * Replaces the instance's state with a checkpoint's (guarantee 24). Everything is checked — format version,
   * graph signature, every byte — before anything changes (guarantees 25, 42). Then {@link resume} carries on.
   *
   * @example
   * const latest = await store.latest({ workflowName: 'orders' });
   * if (latest) { await workflow.restore(latest.id); await workflow.resume().result(); }
   */
  async restore(checkpointId: string, options?: StoreOptions): Promise<CheckpointMeta> {
    return await this.#instance.restore(checkpointId, options);
  }

  /**
   * Carries on the newest unfinished run of this workflow's name (guarantee 56): looks up the newest
   * checkpoint of `WorkflowOptions.name` in the store (`options.store`, else the workflow's), and unless its
   * `runStatus` says the run ended (`completed`, `failed`, `cancelled`), restores it and resumes. Resolves to
   * `{ kind: 'resumed', checkpoint, run }` with the resumed run's handle, `{ kind: 'finished', checkpoint }`
   * when the newest checkpoint is final (nothing is restored), or `{ kind: 'none' }` when there is no
   * checkpoint. A checkpoint that does not say (written before the runtime recorded it) is resumed. The
   * options are those of {@link resume}; `responses` answer the restored pending requests.
   *
   * Throws `CHECKPOINT_STORE_REQUIRED` without a store, `WORKFLOW_BUSY` during a run, `INVALID_OPTION` for a
   * refused option, and what {@link restore} throws for a checkpoint it cannot restore.
   *
   * @example
   * const latest = await workflow.resumeLatest({ onRequest: askTheHuman });
   * const run = latest.kind === 'resumed' ? latest.run : workflow.run(input, { onRequest: askTheHuman });
   * const { outputs } = await run.result();
   */
  async resumeLatest(options?: ResumeOptions): Promise<ResumeLatestResult<Output>> {
    return await this.#instance.resumeLatest<Output>(options);
  }

  /**
   * The requests waiting for answers, oldest first: those the last run left, or after {@link restore} the
   * checkpoint's. Answer them with `resume({ responses })`.
   *
   * @example
   * await workflow.restore(checkpointId);
   * const responses = Object.fromEntries(workflow.pendingRequests.map((r) => [r.requestId, 'approved']));
   * await workflow.resume({ responses }).result();
   */
  get pendingRequests(): readonly PendingRequest[] {
    return this.#instance.pendingRequests;
  }

  /**
   * Returns the instance to its initial state (guarantee 34): actor state, shared state, queued messages, fan-in
   * buffers and pending requests are cleared — in sub-workflows too — reset hooks run, and a new checkpoint
   * lineage starts. Atomic: if a reset hook throws (`RESET_FAILED`) the instance is exactly as before (guarantee 35).
   *
   * @example
   * await workflow.reset();
   */
  async reset(): Promise<void> {
    await this.#instance.reset();
  }

  /**
   * Cancels an active run, unloads the actors and, if the workflow made its pool, closes it. Idempotent.
   *
   * @example
   * const workflow = await builder.build();
   * try { await workflow.run(input).result(); } finally { await workflow.close(); }
   */
  async close(): Promise<void> {
    await this.#instance.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
