/**
 * The floor of `remote-overhead` (docs/benchmarks.md): the superstep-overhead floor's loop (floor.ts) with
 * each worker replaced by a process reached over NATS — one request-reply per host per step, a msgpack
 * batch each way, written by hand on the official client. Not the runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import type { FloorMessage } from './worker/floor-host.ts';

const ENTRY = fileURLToPath(new URL('./worker/nats-floor-host.mjs', import.meta.url));
/** The seed "actor", as in floor.ts. */
const SEED = -1;

function startHost(servers: string, subject: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ENTRY, servers, subject], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => {
      resolve(child);
    });
    child.once('exit', (code) => {
      reject(new Error(`nats floor host exited (${String(code)}) before it was ready`));
    });
  });
}

export class NatsFloorLoop {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: readonly string[],
    private readonly children: readonly ChildProcess[],
  ) {}

  /** Starts `hosts` host processes and connects to them. */
  static async start(hosts: number, servers: string): Promise<NatsFloorLoop> {
    const base = `bench.floor.${randomUUID().slice(0, 8)}`;
    const subjects = Array.from({ length: hosts }, (_, index) => `${base}.${String(index)}`);
    const started = await Promise.allSettled(subjects.map((subject) => startHost(servers, subject)));
    const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      for (const child of children) child.kill('SIGKILL');
      throw failed.reason;
    }
    return new NatsFloorLoop(await connect({ servers }), subjects, children);
  }

  /** One run shaped like floor.ts's: returns the number of steps (`steps + 1`). */
  async run(actors: number, steps: number): Promise<number> {
    const hosts = this.subjects.length;
    let batches: FloorMessage[][] = this.subjects.map((_, index) => (index === 0 ? [[SEED, steps + 1]] : []));
    let step = 0;
    for (;;) {
      const replies: Promise<{ data: Uint8Array }>[] = [];
      this.subjects.forEach((subject, index) => {
        const batch = batches[index];
        if (batch !== undefined && batch.length > 0)
          replies.push(this.nc.request(subject, pack(batch), { timeout: 5000 }));
      });
      if (replies.length === 0) return step;
      step++;
      const next: FloorMessage[][] = this.subjects.map(() => []);
      const route = (actor: number, remaining: number): void => {
        next[actor % hosts]?.push([actor, remaining]);
      };
      for (const reply of await Promise.all(replies)) {
        for (const [source, remaining] of unpack(reply.data) as FloorMessage[]) {
          if (source === SEED) for (let actor = 0; actor < actors; actor++) route(actor, remaining);
          else route((source + 1) % actors, remaining);
        }
      }
      batches = next;
    }
  }

  async close(): Promise<void> {
    await this.nc.close();
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
