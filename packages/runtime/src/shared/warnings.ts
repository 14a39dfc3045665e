/**
 * Every warning the runtime reports — a `warning` event: something that did not fail the run but should be
 * seen — has a stable string code from one table ({@link WARNING_CODES}), so that `docs/errors.md` and a test
 * can check that each is unique and documented, as the error codes are (errors.ts). Pure: both threads
 * raise warnings (the router on the main thread, the delivery runner and late calls on hosts).
 */

/** The one table of warning codes: code → what it means. Keep `docs/errors.md` in step (a test checks). */
export const WARNING_CODES = {
  MESSAGE_UNHANDLED: 'An `on` executor got a message whose kind it has no handler for; the message was skipped.',
  MESSAGE_UNROUTED: 'A sent message matched no edge to any target and was dropped.',
  PREDICATE_FAILED: 'An edge condition, switch case or fan-out selector threw, or a selector chose a non-target.',
  SHARED_STATE_CONFLICT: 'Two executors wrote one shared-state key in one superstep.',
  QUEUE_DISCARDED: '`run()` dropped messages an earlier run left queued.',
  CHECKPOINT_FAILED: "A barrier's checkpoint could not be written; the run went on.",
  REQUEST_DUPLICATE: 'An executor made a request with an id that is pending or was answered.',
  REQUEST_HANDLER_FAILED: 'The `onRequest` callback threw, or its answer was refused.',
  LATE_CONTEXT_CALL: "A handler's leftover callback used its context after the handler settled; refused.",
} as const satisfies Readonly<Record<string, string>>;

/**
 * A stable, documented warning code, carried by `warning` events. Callers branch on it, never on the
 * message text.
 *
 * @example
 * for await (const event of workflow.run(input)) {
 *   if (event.type === 'warning' && event.code === 'MESSAGE_UNROUTED') console.warn(event.details);
 * }
 */
export type WarningCode = keyof typeof WARNING_CODES;
