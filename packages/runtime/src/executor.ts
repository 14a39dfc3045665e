/**
 * `@superstep/runtime/executor` — the worker-safe entry for executor authors. Nothing here touches
 * worker_threads, piscina or the file system, so an executor module can import it on any thread.
 */
export {
  defineExecutor,
  isExecutorDefinition,
  type ExecutorDefinition,
  type ExecutorOptions,
  type ExecutorContext,
  type Handler,
  type SendOptions,
  type SharedState,
  type RequestResponse,
  type RequestOptions,
  type ResetContext,
  type RetryPolicy,
  retryDelay,
  isRetryable,
} from './shared/executor-definition.ts';
export { SuperstepError, isSuperstepError, type ErrorCode, type ErrorRecord } from './shared/errors.ts';
