/**
 * Type guards for checking the shape of decoded bytes that came from outside (a checkpoint body, a reply
 * from another process) before anything reads them.
 */

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** An array of exactly `length` entries. */
export function isTuple(value: unknown, length: number): value is unknown[] {
  return Array.isArray(value) && value.length === length;
}
