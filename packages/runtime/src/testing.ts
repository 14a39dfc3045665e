/**
 * `@superstep/runtime/testing` — unit tests for executors: run one executor's handlers in the test's own
 * process with the runtime's real handler context and commit cycle. Starts no thread (docs/testing.md).
 */
export {
  createTestExecutor,
  type TestExecutor,
  type TestExecutorOptions,
  type HandleOptions,
  type SentMessage,
  type MadeRequest,
} from './testing/test-executor.ts';
