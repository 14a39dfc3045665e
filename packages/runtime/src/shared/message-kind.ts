/**
 * A message's kind, as warnings name it and as `on` handlers are picked by: its string `type` if it has
 * one, else `null`, `array` or its `typeof`. One definition for the router (main thread) and the delivery
 * runner (hosts), so a warning names a message the same way on both sides.
 */
export function messageKind(message: unknown): string {
  if (typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string') {
    return (message as { type: string }).type;
  }
  return message === null ? 'null' : Array.isArray(message) ? 'array' : typeof message;
}
