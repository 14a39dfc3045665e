/**
 * `@superstep/executors` — ready-made executors. Each factory returns an executor definition: export it
 * from your own executors module and refer to it with `executorModule(url).executor(name)`.
 *
 * Worker-safe: this package imports only `@superstep/runtime/executor`.
 *
 * @example
 * // executors.ts
 * import { collect, map, reduce } from '@superstep/executors';
 * export const square = map((n: number) => n * n);
 * export const total = reduce({ initial: 0, step: (sum, n: number) => sum + n, emit: 'output' });
 * export const results = collect();
 */
export type { EmitMode, HandlerInfo } from './options.ts';
export { map, type StatelessOptions } from './map.ts';
export { flatMap } from './flat-map.ts';
export { filter } from './filter.ts';
export { reduce, type ReduceOptions, type ReduceState } from './reduce.ts';
export { join, type JoinOptions, type Joined, type JoinState } from './join.ts';
export { fanInRecord } from './fan-in-record.ts';
export { router, UNROUTED_EVENT, type RouterOptions, type RouteKey } from './router.ts';
export { batch, FLUSH, isFlushMessage, type BatchOptions, type BatchState, type FlushMessage } from './batch.ts';
export { dedupe, type DedupeOptions, type DedupeState } from './dedupe.ts';
export { collect, type CollectOptions, type Collected } from './collect.ts';
export { stableKey } from './stable-key.ts';
