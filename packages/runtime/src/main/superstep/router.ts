/**
 * Routes the messages a superstep sent along the graph's edges into the next superstep's queue
 * (guarantees 9, 10, 12). Edge predicates are user code run on the main thread: keep them cheap; a throwing
 * predicate counts as false and is reported as a warning.
 */
import type { WarningCode } from '../../shared/events.ts';
import { messageKind } from '../../shared/message-kind.ts';
import type { OutboxEntry } from '../../shared/protocol.ts';
import type { EdgeGroup, Graph } from '../graph/graph.ts';

/** A message waiting for its superstep. */
export interface Envelope {
  readonly source: string;
  readonly target: string;
  readonly payload: unknown;
}

/** Messages a fan-in has buffered, per edge group index, per source, in arrival order. */
export type FanInBuffers = Map<number, Map<string, unknown[]>>;

export type Warn = (code: WarningCode, message: string, details: Record<string, unknown>) => void;

/** Queues a message for `to`, unless it was sent to another target explicitly; true if queued. */
function deliver(queue: Envelope[], source: string, target: string | null, to: string, payload: unknown): boolean {
  if (target !== null && to !== target) return false;
  queue.push({ source, target: to, payload });
  return true;
}

export class Router {
  /** Edge groups leaving each executor, with their index (the fan-in buffer key). */
  private readonly outgoing = new Map<string, { edge: EdgeGroup; index: number }[]>();

  constructor(readonly graph: Graph) {
    graph.edges.forEach((edge, index) => {
      const sources = edge.kind === 'fan-in' ? edge.from : [edge.from];
      for (const source of sources) {
        let list = this.outgoing.get(source);
        if (list === undefined) this.outgoing.set(source, (list = []));
        list.push({ edge, index });
      }
    });
  }

  /**
   * Routes one superstep's outbox. Plain deliveries go to `queue`; fan-in contributions go to `buffers`,
   * and a fan-in whose every source has contributed releases one list message into `queue`.
   */
  route(outbox: readonly OutboxEntry[], queue: Envelope[], buffers: FanInBuffers, warn: Warn): void {
    const touchedFanIns = new Set<number>();
    for (const [source, target, payload] of outbox) {
      let delivered = false;
      for (const { edge, index } of this.outgoing.get(source) ?? []) {
        switch (edge.kind) {
          case 'direct':
            if (edge.condition === undefined || this.test(edge.condition, payload, source, edge.to, warn)) {
              delivered = deliver(queue, source, target, edge.to, payload) || delivered;
            }
            break;
          case 'fan-out':
            if (target !== null && edge.select === undefined) {
              // A message sent to one target: no need to walk every end of the fan-out.
              if (edge.to.includes(target)) delivered = deliver(queue, source, target, target, payload) || delivered;
              break;
            }
            for (const to of this.select(edge, payload, source, warn)) {
              delivered = deliver(queue, source, target, to, payload) || delivered;
            }
            break;
          case 'switch': {
            const chosen = edge.cases.find((c) => this.test(c.when, payload, source, c.to, warn))?.to ?? edge.default;
            if (chosen !== undefined) delivered = deliver(queue, source, target, chosen, payload) || delivered;
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
      if (!delivered) {
        const kind = messageKind(payload);
        warn(
          'MESSAGE_UNROUTED',
          target === null
            ? `message of kind "${kind}" from "${source}" matched no outgoing edge`
            : `message of kind "${kind}" from "${source}" to "${target}" matched no edge reaching "${target}"`,
          { source, target, kind },
        );
      }
    }
    for (const index of touchedFanIns) this.release(index, queue, buffers);
  }

  private release(index: number, queue: Envelope[], buffers: FanInBuffers): void {
    const edge = this.graph.edges[index];
    const perSource = buffers.get(index);
    if (edge?.kind !== 'fan-in' || perSource === undefined) return;
    if (!edge.from.every((source) => (perSource.get(source)?.length ?? 0) > 0)) return;
    const joined = edge.from.flatMap((source) => perSource.get(source) ?? []);
    buffers.delete(index);
    queue.push({ source: edge.from.join('+'), target: edge.to, payload: joined });
  }

  private test(
    condition: (message: never) => boolean,
    payload: unknown,
    source: string,
    to: string,
    warn: Warn,
  ): boolean {
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

  private select(
    edge: Extract<EdgeGroup, { kind: 'fan-out' }>,
    payload: unknown,
    source: string,
    warn: Warn,
  ): readonly string[] {
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
