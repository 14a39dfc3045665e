/**
 * `<!-- snippet: declarations -->`: the types an API signature in the docs may name. A declarations block is
 * checked as ambient declarations (in a `declare namespace`, so it may redeclare these names) against them.
 */
export type { ResourceLimits } from 'node:worker_threads';
export type { HostUsage, NatsHostSet } from '@superstep/runtime/nats';
import type { NatsConnectionOptions } from '@superstep/runtime/nats';
/** The NATS client's connection options, as the nats entry passes them through. */
export type NodeConnectionOptions = NonNullable<NatsConnectionOptions['connection']> & { servers?: unknown };
export type {
  ActorPool,
  CheckpointMeta,
  CheckpointStore,
  CustomEvent,
  EndPoint,
  ErrorCode,
  ErrorRecord,
  ExecutorExports,
  ExecutorModule,
  ExecutorRef,
  FileStoreOptions,
  Graph,
  LifecycleStatus,
  PendingRequest,
  PoolOptions,
  PostgresStoreOptions,
  RequestEvent,
  ResumeLatestResult,
  ResumeOptions,
  RunHandle,
  RunOptions,
  RunRecorder,
  RunResult,
  RunStatus,
  SqliteStoreOptions,
  StoreOptions,
  SwitchCase,
  WarningEvent,
  Workflow,
  WorkflowBuilder,
  WorkflowEvent,
  WorkflowOptions,
} from '@superstep/runtime';
export type {
  ExecutorContext,
  ExecutorDefinition,
  ExecutorOptions,
  Handler,
  RequestOptions,
  RequestResponse,
  RetryPolicy,
  SendOptions,
  SharedState,
} from '@superstep/runtime/executor';
export type {
  HandleOptions,
  MadeRequest,
  SentMessage,
  TestExecutor,
  TestExecutorOptions,
} from '@superstep/runtime/testing';
export type {
  BatchState,
  DedupeState,
  EmitMode,
  FlushMessage,
  HandlerInfo,
  Joined,
  JoinState,
  ReduceState,
  StatelessOptions,
} from '@superstep/executors';

/** The message types of a reference or a definition (read from their phantom `__types`), as signatures name them. */
export type InOf<T> = T extends { readonly __types?: { in: infer In } } ? In : unknown;
export type OutOf<T> = T extends { readonly __types?: { out: infer Out } } ? Out : unknown;
/** What a reference or a definition yields as workflow output. */
export type OutputOf<T> = T extends { readonly __types?: { output: infer Output } } ? Output : unknown;
/** In simplified builder signatures: the target's own type when the edge fits, else an `EdgeTypeMismatch`. */
export type Checked = unknown;
// The lease and event stream of `@superstep/runtime/nats` (docs/api.md).
export type { RunEventSink } from '@superstep/runtime';
export type { NatsConnectionOptions } from '@superstep/runtime/nats';
