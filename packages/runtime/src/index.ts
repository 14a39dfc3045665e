/**
 * `@superstep/runtime` — the main-thread entry: build workflows, run them, stream their events.
 * Executor authors import `@superstep/runtime/executor` instead (worker-safe).
 */
export { WorkflowBuilder, type EndPoint, type SwitchCase } from './main/workflow-builder.ts';
export { executor, executorModule, type ExecutorRef, type ExecutorModule, type ExecutorExports } from './main/executor-ref.ts';
export { Workflow, type WorkflowOptions, type RunOptions, type ResumeOptions, type StoreOptions } from './main/workflow.ts';
export type { PendingRequest } from './main/coordinator.ts';
export { RunHandle, type RunResult } from './main/run-handle.ts';
export { ActorPool, createPool, type PoolOptions } from './main/actor-pool.ts';
export type { LifecycleStatus } from './main/lifecycle.ts';
export type { Graph, EdgeGroup } from './main/graph.ts';
export {
  SuperstepError,
  ERROR_CODES,
  isSuperstepError,
  type ErrorCode,
  type ErrorRecord,
} from './shared/errors.ts';
export { TERMINAL_STATUSES, FRAMEWORK_EVENT_TYPES } from './shared/events.ts';
export type * from './shared/events.ts';
export { encode, decode, findUnserializable } from './shared/codec.ts';
export type { HostLink, HostControl, StepBatch, StepReply } from './shared/protocol.ts';
