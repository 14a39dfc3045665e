/**
 * `<!-- snippet: context=workflow -->`: what a main-thread fragment may use without declaring it. Every
 * value and type of `@superstep/runtime`, a typed `mod` over the docs' executors (../executors.ts), and
 * the application's own values that the docs name (`workflow`, `input`, `store`, `ask`…). Only
 * declared: never run.
 */
import {
  executorModule,
  type CheckpointStore,
  type RequestEvent,
  type RunHandle,
  type Workflow,
  type WorkflowBuilder,
} from '@superstep/runtime';

export {
  ActorPool,
  CHECKPOINT_FORMAT_VERSION,
  createMemoryStore,
  createPool,
  createRunRecorder,
  decode,
  encode,
  ERROR_CODES,
  executor,
  executorModule,
  findUnserializable,
  isSuperstepError,
  openFileStore,
  openPostgresStore,
  openSqliteStore,
  READABLE_FORMAT_VERSIONS,
  RunHandle,
  subWorkflow,
  SuperstepError,
  toMermaid,
  Workflow,
  WorkflowBuilder,
} from '@superstep/runtime';
export type {
  CheckpointMeta,
  ErrorCode,
  ExecutorRef,
  RequestEvent,
  RunResult,
  WorkflowEvent,
} from '@superstep/runtime';

export const mod = executorModule<typeof import('../executors.ts')>(new URL('../executors.ts', import.meta.url));

export declare const workflow: Workflow;
export declare const run: RunHandle;
export declare const builder: WorkflowBuilder;
export declare const ordersBuilder: WorkflowBuilder;
export declare const reportsBuilder: WorkflowBuilder;
export declare function publishingWorkflow(): WorkflowBuilder;
export declare const store: CheckpointStore;
export declare const input: unknown;
export declare const order: unknown;
export declare const orders: unknown;
export declare const batch: unknown;
export declare const brief: string;
export declare const text: string;
export declare const partitions: number;
export declare const requestId: string;
export declare const body: unknown;

export interface Question {
  readonly question: string;
}
/** Asks a person (or a system) and resolves to the answer. */
export declare function ask(data: unknown): Promise<unknown>;
export declare function askInTerminal(question: Question): Promise<unknown>;
export declare function render(data: unknown): void;
export declare const log: Pick<Console, 'info' | 'warn'>;
export declare function onRequestEvent(event: RequestEvent): void;
export declare class Order {
  readonly id: string;
}
