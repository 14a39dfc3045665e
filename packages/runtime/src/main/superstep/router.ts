/**
 * Routes the messages a superstep sent along the graph's edges into the next superstep's queue
 * (guarantees 9, 10, 12). Edge predicates are user code run on the main thread: keep them cheap; a throwing
 * predicate counts as false and is reported as a warning.
 */
import type { WarningCode } from '../../shared/events.ts';
import { messageKind } from '../../shared/message-kind.ts';
import type { OutboxRun } from '../../shared/protocol.ts';
import type { EdgeGroup, Graph } from '../graph/graph.ts';

/** A message waiting for its superstep. */
export interface Envelope {
  /** The sender; for a fan-in's list message, a label: its sources joined with `+` (see {@link sources}). */
  readonly source: string;
  /** Only on a fan-in's list message: the fan-in's sources, in its `from` order (`ctx.sources`). */
  readonly sources?: readonly string[];
  readonly target: string;
  readonly payload: unknown;
}

/** Messages a fan-in has buffered, per edge group index, per source, in arrival order. */
export type FanInBuffers = Map<number, Map<string, unknown[]>>;

export type Warn = (code: WarningCode, message: string, details: Record<string, unknown>) => void;

/** Where routed messages go: the next superstep's queue, and the fan-ins' buffers. */
export interface RouteInto {
  readonly queue: Envelope[];
  readonly fanIn: FanInBuffers;
}

/** One sent message being routed, and where trouble with it is reported. */
interface Routed {
  readonly source: string;
  /** The `to` of `ctx.send`, or `null`: along every edge. */
  readonly target: string | null;
  readonly payload: unknown;
  readonly warn: Warn;
}

/** Queues a message for `to`, unless it was sent to another target explicitly; true if queued. */
function deliver(queue: Envelope[], { source, target, payload }: Routed, to: string): boolean {
  if (target !== null && to !== target) return false;
  queue.push({ source, target: to, payload });
  return true;
}

/**
 * A source whose one edge group needs no user code: a plain edge (`direct`: its target) or a fan-out without
 * a selector (`fanOut`: its targets). Its messages are queued without building a routed message.
 */
interface Shortcut {
  readonly direct: string | undefined;
  readonly fanOut: ReadonlySet<string> | undefined;
}

const NO_SHORTCUT: Shortcut = { direct: undefined, fanOut: undefined };

export class Router {
  /** Edge groups leaving each executor, with their index (the fan-in buffer key). */
  private readonly outgoing = new Map<string, { edge: EdgeGroup; index: number }[]>();
  private readonly shortcuts = new Map<string, Shortcut>();

  constructor(readonly graph: Graph) {
    graph.edges.forEach((edge, index) => {
      const sources = edge.kind === 'fan-in' ? edge.from : [edge.from];
      for (const source of sources) {
        let list = this.outgoing.get(source);
        if (list === undefined) this.outgoing.set(source, (list = []));
        list.push({ edge, index });
      }
    });
    for (const [source, edges] of this.outgoing) {
      const only = edges.length === 1 ? edges[0]?.edge : undefined;
      if (only?.kind === 'direct' && only.condition === undefined) {
        this.shortcuts.set(source, { direct: only.to, fanOut: undefined });
      } else if (only?.kind === 'fan-out' && only.select === undefined) {
        this.shortcuts.set(source, { direct: undefined, fanOut: new Set(only.to) });
      }
    }
  }

  /**
   * Routes one superstep's outbox. Plain deliveries go to `queue`; fan-in contributions go to `buffers`,
   * and a fan-in whose every source has contributed releases one list message into `queue`.
   */
  route(outbox: readonly OutboxRun[], into: RouteInto, warn: Warn): void {
    const { queue } = into;
    const touchedFanIns = new Set<number>();
    for (const [source, sends] of outbox) {
      // The common cases, a single unconditional edge or a fan-out sent to with `to`, queue without
      // building the routed message.
      const { direct, fanOut } = this.shortcuts.get(source) ?? NO_SHORTCUT;
      for (let at = 0; at < sends.length; at += 2) {
        const target = sends[at] as string | null;
        const payload = sends[at + 1];
        if (direct !== undefined && (target === null || target === direct)) {
          queue.push({ source, target: direct, payload });
          continue;
        }
        if (fanOut !== undefined && target !== null && fanOut.has(target)) {
          queue.push({ source, target, payload });
          continue;
        }
        const message: Routed = { source, target, payload, warn };
        if (!this.routeAlong(this.outgoing.get(source) ?? [], message, { into, touchedFanIns })) unrouted(message);
      }
    }
    for (const index of touchedFanIns) this.release(index, into);
  }

  /** Routes one message along every edge group leaving its source; true if any took it. */
  private routeAlong(
    edges: readonly { edge: EdgeGroup; index: number }[],
    message: Routed,
    { into, touchedFanIns }: { readonly into: RouteInto; readonly touchedFanIns: Set<number> },
  ): boolean {
    const { queue, fanIn: buffers } = into;
    const { source, target, payload } = message;
    let delivered = false;
    for (const { edge, index } of edges) {
      switch (edge.kind) {
        case 'direct':
          if (edge.condition === undefined || this.test(edge.condition, message, edge.to)) {
            delivered = deliver(queue, message, edge.to) || delivered;
          }
          break;
        case 'fan-out':
          if (target !== null && edge.select === undefined) {
            // A message sent to one target: no need to walk every end of the fan-out.
            if (edge.to.includes(target)) delivered = deliver(queue, message, target) || delivered;
            break;
          }
          for (const to of this.select(edge, message)) delivered = deliver(queue, message, to) || delivered;
          break;
        case 'switch': {
          const chosen = edge.cases.find((c) => this.test(c.when, message, c.to))?.to ?? edge.default;
          if (chosen !== undefined) delivered = deliver(queue, message, chosen) || delivered;
          break;
        }
        case 'fan-in': {
          if (target !== null && target !== edge.to) break;
          let perSource = buffers.get(index);
          if (perSource === undefined) buffers.set(index, (perSource = new Map<string, unknown[]>()));
          let list = perSource.get(source);
          if (list === undefined) perSource.set(source, (list = []));
          list.push(payload);
          touchedFanIns.add(index);
          delivered = true;
          break;
        }
      }
    }
    return delivered;
  }

  private release(index: number, { queue, fanIn: buffers }: RouteInto): void {
    const edge = this.graph.edges[index];
    const perSource = buffers.get(index);
    if (edge?.kind !== 'fan-in' || perSource === undefined) return;
    if (!edge.from.every((source) => (perSource.get(source)?.length ?? 0) > 0)) return;
    const joined = edge.from.flatMap((source) => perSource.get(source) ?? []);
    buffers.delete(index);
    // The ids travel as a list; the joined label is only what `ctx.source` shows (kept as it always was).
    queue.push({ source: edge.from.join('+'), sources: edge.from, target: edge.to, payload: joined });
  }

  private test(condition: (message: never) => boolean, message: Routed, to: string): boolean {
    const { source, payload, warn } = message;
    try {
      return condition(payload as never);
    } catch (error) {
      warn('PREDICATE_FAILED', `edge predicate ${source} → ${to} threw: ${String(error)}; counted as false`, {
        source,
        target: to,
        error: String(error),
      });
      return false;
    }
  }

  private select(edge: Extract<EdgeGroup, { kind: 'fan-out' }>, message: Routed): readonly string[] {
    const { source, payload, warn } = message;
    if (edge.select === undefined) return edge.to;
    try {
      const chosen = edge.select(payload as never, edge.to);
      const unknown = chosen.filter((id) => !edge.to.includes(id));
      if (unknown.length > 0) {
        warn('PREDICATE_FAILED', `fan-out selector of "${source}" chose non-targets ${unknown.join(', ')}; ignored`, {
          source,
          chosen: unknown,
        });
      }
      return chosen.filter((id) => edge.to.includes(id));
    } catch (error) {
      warn('PREDICATE_FAILED', `fan-out selector of "${source}" threw: ${String(error)}; no target chosen`, {
        source,
        error: String(error),
      });
      return [];
    }
  }
}

/** A message no edge took: dropped, and said so (guarantee 12). */
function unrouted({ source, target, payload, warn }: Routed): void {
  const kind = messageKind(payload);
  warn(
    'MESSAGE_UNROUTED',
    target === null
      ? `message of kind "${kind}" from "${source}" matched no outgoing edge`
      : `message of kind "${kind}" from "${source}" to "${target}" matched no edge reaching "${target}"`,
    { source, target, kind },
  );
}
