/**
 * A host process's main-thread duties towards its threads: it publishes what they stream (they hand it
 * over on an in-process channel, which works even while a handler spins), and it tells coordinators when a
 * thread died — a batch in flight on it would otherwise wait out the step timeout, since the process
 * itself, and its heartbeat, live on.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { ActorPool } from '../main/hosts/actor-pool.ts';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode, encode } from '../shared/codec.ts';
import type { ControlCall } from '../shared/protocol.ts';
import type { Payloads } from './payloads.ts';
import { parseAlias, streamChannelName, streamSubject, threadLostSubject, threadSubject } from './subjects.ts';

/** What a host says when one of its threads died. */
export interface ThreadLost {
  readonly thread: number;
  /** The dead thread's `threadId` (replies carry it), so a lane already on its successor is left alone. */
  readonly threadId: number;
  readonly reason: string;
}

/**
 * Resolves once thread `index` answers a ping on its NATS subject: a host announces itself only when a
 * coordinator can reach every thread (each connects on its own, after the pool is up).
 */
export async function threadServing(nc: NatsConnection, hostId: string, index: number): Promise<void> {
  const ping = encode({ op: 'call', id: 0, method: 'ping', args: [] } satisfies ControlCall);
  for (let attempt = 1; ; attempt++) {
    try {
      await nc.request(threadSubject(hostId, index, 'control'), ping, { timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 500) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export class HostThreads {
  private readonly stream: BroadcastChannel;
  /** The `threadId` of each pool thread now. */
  private readonly threadIds: number[] = [];
  private readonly stopRestarts: () => void;

  private readonly nc: NatsConnection;

  constructor(
    private readonly pool: ActorPool,
    private readonly payloads: Payloads,
    private readonly hostId: string,
  ) {
    this.nc = payloads.connection;
    this.stream = new BroadcastChannel(streamChannelName(hostId));
    this.stream.onmessage = (event) => {
      this.forward((event as { data: Uint8Array }).data);
    };
    this.stopRestarts = pool.onRestart((index, reason) => {
      this.restarted(index, reason);
    });
  }

  /** Learns every thread's id (call once the pool is up). */
  async start(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.pool.size }, async (_, index) => {
        this.threadIds[index] = (await this.pool.host(index).control.ping()).threadId;
      }),
    );
  }

  private forward(bytes: Uint8Array): void {
    try {
      const session = parseAlias((decode(bytes) as { instance?: unknown } | null)?.instance)?.session;
      if (session === undefined) return;
      this.payloads.publish(streamSubject(session), bytes).catch((error: unknown) => {
        console.error('superstep-host: a streamed message was not sent:', error);
      });
    } catch (error) {
      console.error('superstep-host: a streamed message was not read:', error);
    }
  }

  /**
   * Says a thread died once its successor serves on NATS: piscina reports the death before the old thread
   * is gone, and until then a spinning predecessor may still hold the subscription and swallow requests —
   * so the notice waits, and coordinators fail whatever they sent meanwhile.
   */
  private restarted(index: number, reason: string): void {
    const threadId = this.threadIds[index];
    const successor = this.pool.host(index).control.ping();
    void (async () => {
      this.threadIds[index] = (await successor).threadId;
      await threadServing(this.nc, this.hostId, index);
      if (threadId === undefined) return;
      const lost: ThreadLost = { thread: index, threadId, reason };
      await this.payloads.publish(threadLostSubject(this.hostId), encode(lost));
    })().catch((error: unknown) => {
      console.error(`superstep-host: thread ${String(index)} did not come back:`, error);
    });
  }

  close(): void {
    this.stopRestarts();
    this.stream.close();
  }
}
