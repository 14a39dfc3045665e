/**
 * `@superstep/runtime` — the main-thread entry: build workflows, run them, stream their events.
 * Executor authors import `@superstep/runtime/executor` instead (worker-safe).
 */
export {
  WorkflowBuilder,
  type EndPoint,
  type SwitchCase,
  type EdgeTypeMismatch,
} from './main/graph/workflow-builder.ts';
export {
  executor,
  executorModule,
  subWorkflow,
  type SubWorkflowOptions,
  type ExecutorRef,
  type ExecutorModule,
  type ExecutorExports,
} from './main/graph/executor-ref.ts';
export { Workflow } from './main/workflow.ts';
export type { ResumeLatestResult } from './main/instance/workflow-instance.ts';
export type { WorkflowOptions, RunOptions, ResumeOptions, StoreOptions } from './main/workflow-options.ts';
export type { PendingRequest } from './main/superstep/coordinator-types.ts';
export { RunHandle, type RunResult } from './main/run/run-handle.ts';
export {
  ActorPool,
  createPool,
  createLoopbackPool,
  type PoolOptions,
  type PoolHealth,
} from './main/hosts/actor-pool.ts';
export type { LifecycleStatus } from './main/run/lifecycle.ts';
export { createLocalLease, type InstanceLease, type LeaseHold } from './main/run/instance-lease.ts';
export type { RunEventSink, RunEventOrigin } from './main/run/run-event-sink.ts';
export type { Graph, EdgeGroup } from './main/graph/graph.ts';
export { toMermaid, type MermaidOptions } from './main/graph/mermaid.ts';
export {
  createRunRecorder,
  type RunRecorder,
  type TimelineOptions,
  type TimelineData,
  type HandlerRecord,
  type AttemptRecord,
  type StepRecord,
  type CheckpointRecord,
  type RequestRecord,
  type RunRecord,
  type TimedEvent,
} from './main/observe/run-recorder.ts';
export { TRACER_NAME } from './main/observe/run-trace.ts';
export { SuperstepError, ERROR_CODES, isSuperstepError, type ErrorCode, type ErrorRecord } from './shared/errors.ts';
export { TERMINAL_STATUSES, FRAMEWORK_EVENT_TYPES } from './shared/events.ts';
export { WARNING_CODES } from './shared/warnings.ts';
export type * from './shared/events.ts';
export { encode, decode, findUnserializable } from './shared/codec.ts';
export type { HostControl, StepBatch, StepReply, StepMark } from './shared/protocol.ts';
export type { HostLink, HostSet, HostReloader, HostStreamListener, StepRequest } from './shared/host-set.ts';
export {
  CHECKPOINT_FORMAT_VERSION,
  READABLE_FORMAT_VERSIONS,
  type CheckpointStore,
  type CheckpointMeta,
  type CheckpointReason,
  type CheckpointRunStatus,
  type CheckpointWrite,
  type CheckpointRead,
  type CheckpointFilter,
  type CheckpointFence,
  type RetentionPolicy,
} from './main/checkpoints/checkpoint-store.ts';
export { createMemoryStore } from './main/checkpoints/memory-store.ts';
export { openFileStore, type FileStoreOptions } from './main/checkpoints/file-store.ts';
export { openSqliteStore, type SqliteStoreOptions } from './main/checkpoints/sqlite-store.ts';
export { openPostgresStore, type PostgresStoreOptions } from './main/checkpoints/postgres-store.ts';
