/**
 * Checks JavaScript callers can get wrong although the types forbid it: an options argument that is not
 * an object (`null`, a number), an array argument that is not an array. They fail with `INVALID_OPTION`
 * naming the argument, not with a `TypeError` from deep inside.
 */
import { SuperstepError } from './errors.ts';

export function invalidOption(option: string, must: string, got?: unknown): SuperstepError {
  const shown = arguments.length > 2 ? `, got ${describe(got)}` : '';
  return new SuperstepError('INVALID_OPTION', `${option} must be ${must}${shown}`, { details: { option } });
}

/** `undefined` (no options) or a non-null object; anything else is refused. Returns the object or `{}`. */
export function optionsObject<T extends object>(value: T | undefined, option = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || (value as unknown) === null || Array.isArray(value)) {
    throw invalidOption(option, 'an object', value);
  }
  return value;
}

/** Refuses anything but an array. */
export function requireArray<T>(value: readonly T[], option: string): readonly T[] {
  const given: unknown = value;
  if (!Array.isArray(given)) throw invalidOption(option, 'an array', value);
  return value;
}

/** `undefined` or a function. */
export function optionalFunction(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(option, 'a function', value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
