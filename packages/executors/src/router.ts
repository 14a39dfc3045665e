import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { invalidOption } from './options.ts';

/** A message's routing key: a field name of the message, or a function of it. */
export type RouteKey<In> = (keyof In & string) | ((message: In) => unknown);

/** Options of {@link router}. */
export interface RouterOptions<In> {
  /** Where the key comes from: a field of the message, or a function. The key is compared as a string. */
  readonly by: RouteKey<In>;
  /** Routing key → target executor id. */
  readonly routes: Readonly<Record<string, string>>;
  /** The target for keys without a route. Without one, such a message is dropped with a custom event. */
  readonly default?: string;
}

/** The custom event a {@link router} emits for a message it has no route for (and no default). */
export const UNROUTED_EVENT = 'router.unrouted';

/**
 * A stateless executor that sends each message to one target, chosen by a key: `routes[key]`, else
 * `default`. It sends with `{ to: target }`, so an edge must reach every target — pair it with one fan-out
 * edge to all of them (`addFanOut('route', [...targets])`) or a direct edge to each; a target that no edge
 * reaches gets the runtime's `MESSAGE_UNROUTED` warning instead of the message. A message whose key has no
 * route, when there is no `default`, is dropped with a custom event `router.unrouted` (`{ key }`), never
 * silently.
 *
 * Where the decision fits in an edge, the builder's `addSwitch` does the same on the main thread; a router
 * decides in a worker, so its key function can be as expensive as it needs to be.
 *
 * @example
 * import { router } from '@superstep/executors';
 * export const byPriority = router({
 *   by: 'priority',
 *   routes: { high: 'pager', low: 'backlog' },
 *   default: 'triage',
 * });
 *
 * // main.ts
 * builder.addFanOut('byPriority', [mod.executor('pager'), mod.executor('backlog'), mod.executor('triage')]);
 */
export function router<In>(options: RouterOptions<In>): ExecutorDefinition<In, In, undefined> {
  const { by, routes } = options;
  if (typeof by !== 'function' && (typeof by !== 'string' || by.length === 0)) {
    throw invalidOption('router', 'by', 'a field name or a function', by);
  }
  if (typeof routes !== 'object' || (routes as unknown) === null || Object.keys(routes).length === 0) {
    throw invalidOption('router', 'routes', 'an object with at least one route', routes);
  }
  for (const [key, target] of Object.entries(routes)) {
    if (typeof target !== 'string' || target.length === 0) {
      throw invalidOption('router', `routes.${key}`, 'an executor id', target);
    }
  }
  const fallback = options.default;
  if (fallback !== undefined && (typeof fallback !== 'string' || fallback.length === 0)) {
    throw invalidOption('router', 'default', 'an executor id', fallback);
  }
  const table = new Map(Object.entries(routes));
  const keyOf =
    typeof by === 'function' ? by : (message: In): unknown => (message as Record<string, unknown> | null)?.[by];

  return defineExecutor<In, In>({
    stateless: true,
    handle(message, context) {
      const key = String(keyOf(message));
      const target = table.get(key) ?? fallback;
      if (target === undefined) context.emit(UNROUTED_EVENT, { key });
      else context.send(message, { to: target });
    },
  });
}
