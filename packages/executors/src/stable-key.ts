/**
 * A key for "the same message": JSON with object keys sorted, so `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` agree.
 * Pure; used by `dedupe` when no key function is given.
 */

/**
 * Serialises plain data (what the codec carries: objects, arrays, strings, numbers, booleans, null, Map,
 * Set, Date, bigint, typed arrays) to one string per value, independent of object key order.
 *
 * @example
 * stableKey({ b: 2, a: [1, 'x'] }) === stableKey({ a: [1, 'x'], b: 2 }); // true
 */
export function stableKey(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
    case 'symbol':
      return `<${typeof value}>`;
    case 'object':
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${stableKey(k)}:${stableKey(v)}`).sort();
    return `Map{${entries.join(',')}}`;
  }
  if (value instanceof Set) return `Set{${[...value].map(stableKey).sort().join(',')}}`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)).join(',')})`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${stableKey(record[key])}`).join(',')}}`;
}
