import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { checkEmit, deliver, type EmitMode } from './options.ts';

/**
 * A stateless executor for the far end of a builder fan-in (`addFanIn([...], target)`): it turns the list
 * the fan-in delivers into a record keyed by source id. A fan-in delivers its sources' messages flattened in
 * the order of its `from` list, and names those sources in `ctx.sources`, so when each source sent exactly
 * one message, message i came from source i. If a source sent several, that pairing is lost and the
 * handler fails: use {@link join} (which groups by sender itself) for that case.
 *
 * @example
 * import { fanInRecord } from '@superstep/executors';
 * export const pair = fanInRecord<number>();
 *
 * // main.ts: `pair` receives [left's message, right's message] and sends { left: …, right: … }
 * builder.addFanIn(['left', 'right'], mod.executor('pair'));
 */
export function fanInRecord<In>(
  options: { readonly emit?: EmitMode } = {},
): ExecutorDefinition<readonly In[], Readonly<Record<string, In>>, undefined, Readonly<Record<string, In>>> {
  const emit = checkEmit('fanInRecord', options.emit);
  return defineExecutor<readonly In[], Readonly<Record<string, In>>, undefined, Readonly<Record<string, In>>>({
    stateless: true,
    handle(messages, context) {
      const sources = context.sources;
      if (!Array.isArray(messages) || messages.length !== sources.length) {
        throw new Error(
          `fanInRecord "${context.executorId}": expected one message from each of ${sources.join(', ')}, ` +
            `got ${Array.isArray(messages) ? `${messages.length} messages` : 'a message that is not a fan-in list'}; ` +
            'use join() when a source may send several',
        );
      }
      deliver(context, Object.fromEntries(sources.map((source, index) => [source, messages[index] as In])), emit);
    },
  });
}
