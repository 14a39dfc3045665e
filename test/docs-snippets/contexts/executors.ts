/**
 * `<!-- snippet: context=executors -->`: what a fragment of an executor module may use without importing
 * it. The imports an executor module would write, plus stand-ins for the application's own types and
 * functions that the docs name (`Tile`, `renderTile`…). Only declared: never run.
 */
export { defineExecutor, isSuperstepError, SuperstepError } from '@superstep/runtime/executor';
export type { ExecutorContext, ExecutorDefinition, RequestResponse, RetryPolicy } from '@superstep/runtime/executor';
export {
  batch,
  collect,
  dedupe,
  fanInRecord,
  filter,
  flatMap,
  FLUSH,
  join,
  map,
  reduce,
  router,
} from '@superstep/executors';
export type { FlushMessage, HandlerInfo } from '@superstep/executors';
export { z } from 'zod';

export interface Tile {
  readonly x: number;
  readonly y: number;
}
export interface Rendered {
  readonly tile: Tile;
  readonly pixels: Uint8Array;
}
export declare function renderTile(tile: Tile): Rendered;

export type Day = string;
export type Rates = Record<string, number>;
export declare function downloadRates(day: Day): Promise<Rates>;

export interface Page {
  readonly url: string;
  readonly html: string;
}
export declare function fetchPage(url: string, options: { signal: AbortSignal }): Promise<Page>;

export interface Job {
  readonly id: string;
}
export interface LogEntry {
  readonly level: 'info' | 'error';
  readonly message: string;
}
export type ErrorEntry = LogEntry & { readonly level: 'error' };
export interface Row {
  readonly cells: readonly string[];
}
export declare function parseRows(file: string): Row[];
export interface Order {
  readonly id: string;
}
export interface Quote {
  readonly price: number;
}
export declare function expensiveScore(text: string): number;
