/**
 * The floor of `superstep-overhead` (docs/benchmarks.md): the least a batched superstep loop can do, written by hand
 * over raw `worker_threads` — not the runtime. Per step the main thread sends each worker that has messages
 * one msgpack batch (buffer transferred), waits for every reply (the barrier), and routes what came back.
 * Actors are indices placed round-robin on the workers, as the runtime places them.
 */
import { pack, unpack } from 'msgpackr';
import { floorTransferList } from './floor-transfer.ts';
import { Worker } from 'node:worker_threads';
import type { FloorMessage } from './worker/floor-host.ts';

const ENTRY = new URL('./worker/floor-entry.mjs', import.meta.url);

/** The seed "actor": its one message is routed to every actor, like the runtime's fan-out seed. */
const SEED = -1;

interface FloorWorker {
  readonly worker: Worker;
  /** Resolves the step in flight on this worker. */
  reply: (bytes: Uint8Array) => void;
}

export class FloorLoop {
  private constructor(private readonly hosts: readonly FloorWorker[]) {}

  /**
   * Starts `threads` workers and waits until each has loaded its host. With `spinMicros` the workers poll
   * for the next batch that long after each reply instead of sleeping at once (the spin floor).
   */
  static async start(threads: number, spinMicros = 0): Promise<FloorLoop> {
    const hosts = Array.from({ length: threads }, (): FloorWorker => ({
      worker: new Worker(ENTRY, { workerData: { spinMicros } }),
      reply: () => undefined,
    }));
    try {
      await Promise.all(
        hosts.map(
          (host) =>
            new Promise<void>((resolve, reject) => {
              host.worker.once('error', reject);
              host.worker.once('message', () => {
                host.worker.off('error', reject);
                host.worker.on('message', (bytes: Uint8Array) => {
                  host.reply(bytes);
                });
                resolve();
              });
            }),
        ),
      );
    } catch (error) {
      await Promise.allSettled(hosts.map((host) => host.worker.terminate()));
      throw error;
    }
    return new FloorLoop(hosts);
  }

  /**
   * One run shaped like the runtime's: step 1 delivers the seed's message to worker 0; from step 2 each of
   * `actors` actors gets one message per step and forwards `remaining - 1` to the next actor in the ring,
   * until 1. Returns the number of steps: `steps + 1`.
   */
  async run(actors: number, steps: number): Promise<number> {
    const threads = this.hosts.length;
    // The host decrements every message it handles; the seed's carries one extra so the relays start at `steps`.
    let batches: FloorMessage[][] = this.hosts.map((_, index) => (index === 0 ? [[SEED, steps + 1]] : []));
    let step = 0;
    for (;;) {
      const replies: Promise<Uint8Array>[] = [];
      this.hosts.forEach((host, index) => {
        const batch = batches[index];
        if (batch !== undefined && batch.length > 0) replies.push(send(host, batch));
      });
      if (replies.length === 0) return step;
      step++;
      const next: FloorMessage[][] = this.hosts.map(() => []);
      const route = (actor: number, remaining: number): void => {
        next[actor % threads]?.push([actor, remaining]);
      };
      for (const bytes of await Promise.all(replies)) {
        for (const [source, remaining] of unpack(bytes) as FloorMessage[]) {
          if (source === SEED) for (let actor = 0; actor < actors; actor++) route(actor, remaining);
          else route((source + 1) % actors, remaining);
        }
      }
      batches = next;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.worker.terminate()));
  }
}

function send(host: FloorWorker, batch: FloorMessage[]): Promise<Uint8Array> {
  return new Promise((resolve) => {
    host.reply = resolve;
    // pack() returns a view into msgpackr's shared scratch buffer: copy before posting (docs/design.md#the-codec).
    const bytes = new Uint8Array(pack(batch));
    host.worker.postMessage(bytes, floorTransferList(bytes));
  });
}
