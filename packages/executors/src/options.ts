/**
 * Option checks shared by the factories: validated once, when the executor is defined, with a message that
 * names the factory and the option (`batch: options.size must be …`).
 */
import { SuperstepError, type ExecutorContext } from '@superstep/runtime/executor';

/** Where a factory-made executor puts what it produces. */
export type EmitMode = 'send' | 'output' | 'both';

/** What the user functions given to a factory can see of the handler's context (they cannot send). */
export type HandlerInfo = Pick<
  ExecutorContext<unknown>,
  'executorId' | 'superstep' | 'source' | 'shared' | 'emit' | 'signal'
>;

/** The error every factory throws for a bad option. */
export function invalidOption(factory: string, option: string, rule: string, got: unknown): SuperstepError {
  return new SuperstepError('INVALID_OPTION', `${factory}: options.${option} must be ${rule}, got ${describe(got)}`, {
    details: { factory, option },
  });
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** Checks `options.emit`; default `'send'`. */
export function checkEmit(factory: string, emit: unknown): EmitMode {
  if (emit === undefined) return 'send';
  if (emit === 'send' || emit === 'output' || emit === 'both') return emit;
  throw invalidOption(factory, 'emit', `'send', 'output' or 'both'`, emit);
}

/** Checks a function option; `undefined` passes when the option is optional. */
export function checkFunction(factory: string, option: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'function') throw invalidOption(factory, option, 'a function', value);
}

/** Checks an integer option ≥ `min`; `undefined` passes when the option is optional. */
export function checkInteger(factory: string, option: string, value: unknown, min: number, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(factory, option, `an integer ≥ ${min}`, value);
  }
}

/** The part of a handler's context that {@link deliver} uses. */
export type Emitter<T> = Pick<ExecutorContext<never, T, T>, 'send' | 'yieldOutput'>;

/** Sends `value`, yields it as a workflow output, or both. */
export function deliver<T>(context: Emitter<T>, value: T, mode: EmitMode): void {
  if (mode !== 'output') context.send(value);
  if (mode !== 'send') context.yieldOutput(value);
}
