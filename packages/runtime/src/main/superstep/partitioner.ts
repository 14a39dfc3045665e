/**
 * Where a superstep's messages go (guarantee 5): each stateful actor's mailbox to the host that holds it, a
 * stateless executor's messages into slices for whichever host is free (see host-dispatch.ts), a
 * sub-workflow node's to the main thread.
 */
import type { Delivery, ExecutorInfo } from '../../shared/protocol.ts';
import type { Envelope } from './router.ts';

export interface PartitionerParts {
  readonly threads: number;
  readonly executors: ReadonlyMap<string, ExecutorInfo>;
  /** Host index of each stateful actor. */
  readonly placement: ReadonlyMap<string, number>;
  /** Ids of the sub-workflow nodes. */
  readonly children: ReadonlySet<string>;
}

/**
 * One superstep's work: the stateful actors' mailboxes, one batch per host; the stateless executors'
 * messages, in queue order, cut into slices that hosts take as they finish (see `host-dispatch.ts`); and
 * each sub-workflow node's messages.
 */
/** Per executor: how many times it is invoked, and with how many messages each time. */
export type Invocations = readonly (readonly [executorId: string, calls: number, messages: number])[];

export interface Partition {
  readonly batches: Map<number, Delivery[]>;
  readonly slices: Delivery[][];
  /**
   * Where each batch and slice starts in the queue (its first message's index): replies are committed in
   * this order, whichever host ran what, so a superstep commits the same way from run to run.
   */
  readonly starts: { readonly batches: ReadonlyMap<number, number>; readonly slices: readonly number[] };
  readonly childDeliveries: Map<string, [string, unknown][]>;
}

/**
 * Slices per thread. A stateless executor's messages are handed out a slice at a time to whichever host
 * is free, so a thread slowed by other work (or by costlier messages) takes fewer: with 4 slices per
 * thread the last one to finish waits for at most about a quarter of a thread's share.
 */
const SLICES_PER_THREAD = 4;

/** An actor's destination: its host, and its mailbox while one partition is being built. */
interface ActorDestination {
  readonly kind: 'actor';
  readonly host: number;
  /** The mailbox of the partition being built (see {@link Partitioner.partition}); cleared after it. */
  box: unknown[] | undefined;
}

/** Where a target's messages go: a sub-workflow node, a stateless executor's slices, or an actor's host. */
type Destination = { readonly kind: 'child' } | { readonly kind: 'stateless' } | ActorDestination;

const CHILD: Destination = { kind: 'child' };
const STATELESS: Destination = { kind: 'stateless' };

export class Partitioner {
  /** Per target, where its messages go: one lookup per message instead of three. */
  private readonly destinations = new Map<string, Destination>();

  constructor(private readonly parts: PartitionerParts) {}

  private destination(target: string): Destination {
    let found = this.destinations.get(target);
    if (found === undefined) {
      const { executors, placement, children } = this.parts;
      if (children.has(target)) found = CHILD;
      else if (executors.get(target)?.stateless === true) found = STATELESS;
      else found = { kind: 'actor', host: placement.get(target) ?? 0, box: undefined };
      // Placement and executors are fixed once the instance is loaded: only a known target is kept.
      if (found.kind !== 'actor' || placement.has(target)) this.destinations.set(target, found);
    }
    return found;
  }

  /** Groups the queue: actors' mailboxes by host, stateless messages into slices, children's apart. */
  partition(queue: readonly Envelope[]): Partition {
    const { threads } = this.parts;
    const batches = new Map<number, Delivery[]>();
    const childDeliveries = new Map<string, [string, unknown][]>();
    /** The actors given a mailbox by this partition (their `box` is cleared at the end). */
    const boxed: ActorDestination[] = [];
    const stateless: Envelope[] = [];
    const statelessAt: number[] = [];
    const batchStarts = new Map<number, number>();
    // An index loop: `entries()` would allocate a pair per message, and this runs every superstep.
    for (let position = 0; position < queue.length; position++) {
      const envelope = queue[position];
      if (envelope === undefined) continue;
      const { target } = envelope;
      const destination = this.destination(target);
      if (destination.kind === 'child') {
        // A sub-workflow node runs each message as a run of its own: it needs no fan-in's sources.
        let childBox = childDeliveries.get(target);
        if (childBox === undefined) childDeliveries.set(target, (childBox = []));
        childBox.push([envelope.source, envelope.payload]);
        continue;
      }
      if (destination.kind === 'stateless') {
        stateless.push(envelope);
        statelessAt.push(position);
        continue;
      }
      let box = destination.box;
      if (box === undefined) {
        destination.box = box = [];
        boxed.push(destination);
        let deliveries = batches.get(destination.host);
        if (deliveries === undefined) {
          batches.set(destination.host, (deliveries = []));
          batchStarts.set(destination.host, position);
        }
        deliveries.push([target, box]);
      }
      box.push(envelope.sources ?? envelope.source, envelope.payload);
    }
    // The batches hold the mailboxes now; a destination keeping one would keep its messages alive.
    for (const destination of boxed) destination.box = undefined;
    const size = Math.ceil(stateless.length / (threads * SLICES_PER_THREAD));
    const slices: Delivery[][] = [];
    const sliceStarts: number[] = [];
    for (let start = 0; start < stateless.length; start += size) {
      slices.push(deliveriesOf(stateless.slice(start, start + size)));
      sliceStarts.push(statelessAt[start] ?? 0);
    }
    return { batches, slices, starts: { batches: batchStarts, slices: sliceStarts }, childDeliveries };
  }

  /** `[executorId, calls, messages per call]` for each mailbox of a superstep, in queue order. */
  invocations(queue: readonly Envelope[]): [string, number, number][] {
    const perTarget = new Map<string, number>();
    for (const envelope of queue) perTarget.set(envelope.target, (perTarget.get(envelope.target) ?? 0) + 1);
    return [...perTarget].map(([executorId, messages]) =>
      this.isStateless(executorId) ? [executorId, messages, 1] : [executorId, 1, messages],
    );
  }

  /** The host that answers for an executor (any host can for a stateless one: the first). */
  hostOf(executorId: string): number {
    return this.isStateless(executorId) ? 0 : (this.parts.placement.get(executorId) ?? 0);
  }

  /** Placed actors per host, for state replacement. */
  actorsOn(index: number): string[] {
    return [...this.parts.placement].filter(([id, host]) => host === index && !this.isStateless(id)).map(([id]) => id);
  }

  private isStateless(executorId: string): boolean {
    return this.parts.executors.get(executorId)?.stateless === true;
  }
}

/** Messages as deliveries: one per run of consecutive messages to the same target. */
function deliveriesOf(messages: readonly Envelope[]): Delivery[] {
  const deliveries: [string, unknown[]][] = [];
  for (const { target, source, sources, payload } of messages) {
    const last = deliveries.at(-1);
    if (last?.[0] === target) last[1].push(sources ?? source, payload);
    else deliveries.push([target, [sources ?? source, payload]]);
  }
  return deliveries;
}
