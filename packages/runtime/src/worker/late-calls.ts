/**
 * Calls through a handler's context after the handler settled (a timer or an unawaited promise it left
 * behind). Such a call is refused with `CONTEXT_CLOSED` and reported as a `warning` event of the
 * instance; the error is remembered here so that, if the leftover callback does not catch it, it does not
 * take the whole thread (and every other actor on it) down with it: it has been reported already.
 */
import { SuperstepError } from '../shared/errors.ts';
import type { HostEvent } from '../shared/protocol.ts';
import type { Instance } from './instance.ts';
import type { LiveUpdates } from './live-updates.ts';

let filtering = false;

/** Late-call warnings an instance holds between steps; later ones are dropped (the calls are still refused). */
const MAX_HELD_WARNINGS = 100;

/** Errors made by {@link refuseLateCall}: by identity, so a handler cannot forge one by its code. */
const reported = new WeakSet<object>();

/** What a closed context knows about the call it was made for. */
export interface ClosedCall {
  readonly instance: Instance;
  readonly live: LiveUpdates;
  readonly executorId: string;
  readonly superstep: number;
}

/**
 * Reports a call on a closed context and returns the error to throw. The warning goes into the step the
 * instance is running now (streamed like a custom event), or, between runs, with the instance's next step.
 */
export function refuseLateCall(call: ClosedCall, method: string): SuperstepError {
  const { instance, executorId, superstep } = call;
  const message = `executor "${executorId}" called ctx.${method}() after its handler of superstep ${superstep} settled; ignored`;
  const details = { executorId, superstep, call: method };
  const warning: HostEvent = ['warning', 'LATE_CONTEXT_CALL', message, details];
  const running = instance.running;
  if (running === undefined) {
    // Held for the next step; bounded, so a leftover timer firing forever between runs cannot grow memory.
    if (instance.lateWarnings.length < MAX_HELD_WARNINGS) instance.lateWarnings.push(warning);
  } else {
    running.output.events.push(warning);
    call.live.scheduleFlush(instance.key, running.superstep, running.output);
  }
  const error = new SuperstepError('CONTEXT_CLOSED', message, { details });
  reported.add(error);
  return error;
}

/** Whether `error` is a late call's refusal, already reported as a warning. */
function isReportedLateCall(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reported.has(error);
}

/**
 * Keeps a thread alive when a leftover callback lets a late call's refusal go uncaught (it was reported
 * as a warning). Anything else uncaught still crashes the thread, as it would without this filter.
 */
export function ignoreUncaughtLateCalls(): void {
  if (filtering) return;
  filtering = true;
  const onException = (error: unknown): void => {
    if (isReportedLateCall(error)) return;
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    throw error;
  };
  const onRejection = (reason: unknown): void => {
    if (isReportedLateCall(reason)) return;
    throw reason;
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
}
