/**
 * Where a superstep's messages go (SPEC 5): each stateful actor's mailbox to the host that holds it,
 * a stateless executor's messages round-robin over every host, a sub-workflow node's to the main thread.
 */
import type { Delivery, ExecutorInfo } from '../shared/protocol.ts';
import type { Envelope } from './router.ts';

export interface PartitionerParts {
  readonly threads: number;
  readonly executors: ReadonlyMap<string, ExecutorInfo>;
  /** Host index of each stateful actor. */
  readonly placement: ReadonlyMap<string, number>;
  /** Ids of the sub-workflow nodes. */
  readonly children: ReadonlySet<string>;
}

/** One superstep's work: a batch per host, and each sub-workflow node's messages. */
export interface Partition {
  readonly batches: Map<number, Delivery[]>;
  readonly childDeliveries: Map<string, [string, unknown][]>;
}

type Mailbox =
  | { readonly spread: false; readonly box: [string, unknown][] }
  | { readonly spread: true; readonly perHost: [string, unknown][][] };

export class Partitioner {
  /** Round-robin cursor spreading stateless messages over hosts. */
  private spread = 0;

  constructor(private readonly parts: PartitionerParts) {}

  /** Groups the queue into one batch per host: actors to their host, stateless messages spread round-robin. */
  partition(queue: readonly Envelope[]): Partition {
    const { threads, executors, placement, children } = this.parts;
    const batches = new Map<number, Delivery[]>();
    const childDeliveries = new Map<string, [string, unknown][]>();
    /** Per target: its mailbox (stateful actor or child), or, for a stateless executor, one per host. */
    const mailboxes = new Map<string, Mailbox>();
    const mailbox = (index: number, target: string): [string, unknown][] => {
      const messages: [string, unknown][] = [];
      let deliveries = batches.get(index);
      if (deliveries === undefined) batches.set(index, (deliveries = []));
      deliveries.push([target, messages]);
      return messages;
    };
    for (const envelope of queue) {
      const { target } = envelope;
      let entry = mailboxes.get(target);
      if (entry === undefined) {
        if (children.has(target)) {
          const box: [string, unknown][] = [];
          childDeliveries.set(target, box);
          entry = { spread: false, box };
        } else if (executors.get(target)?.stateless === true) {
          entry = { spread: true, perHost: [] };
        } else {
          entry = { spread: false, box: mailbox(placement.get(target) ?? 0, target) };
        }
        mailboxes.set(target, entry);
      }
      if (entry.spread) {
        // Stateless: spread round-robin over the hosts, one mailbox per host.
        const index = this.spread++ % threads;
        (entry.perHost[index] ??= mailbox(index, target)).push([envelope.source, envelope.payload]);
      } else {
        entry.box.push([envelope.source, envelope.payload]);
      }
    }
    return { batches, childDeliveries };
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
