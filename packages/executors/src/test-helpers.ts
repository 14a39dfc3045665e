/** Assertions on option errors, shared by this package's unit tests (handlers run in `@superstep/runtime/testing`). */

/** What `thunk` threw (it must throw), with the fields the tests assert on. */
export function thrown(thunk: () => unknown): { code?: unknown; message?: unknown; details?: unknown } {
  try {
    thunk();
  } catch (error) {
    return error as { code?: unknown; message?: unknown; details?: unknown };
  }
  throw new Error('expected a throw');
}

/** The shape of an `INVALID_OPTION` error of `factory` naming `option`. */
export function invalid(
  factory: string,
  option: string,
): { code: string; details: { factory: string; option: string } } {
  return { code: 'INVALID_OPTION', details: { factory, option } };
}
