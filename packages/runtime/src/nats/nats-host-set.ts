/**
 * A {@link HostSet} whose hosts are `superstep-host` processes reached over NATS (docs/distributed.md).
 *
 * Slots: the set has a fixed number of slots, one per worker thread the live hosts offered when it was
 * connected (or `slots`), dealt over the hosts in turn. Placement and the coordinator only ever see slot
 * indices. A host that is lost (missed heartbeats, a request timeout, no responders) takes its slots with
 * it; each of them is given a new lane on a host still alive — the one holding fewest slots per thread — and the
 * instances are reloaded there from the last barrier, exactly as a pool reloads a replaced thread. So a
 * set keeps its size when hosts leave: fewer hosts carry the same slots (docs/design.md, "Hosts in other
 * processes").
 */
import { decode, encode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import type { HostLink, HostReloader, HostSet } from '../shared/host-set.ts';
import type { HostEventsMessage, HostTimerMessage } from '../shared/protocol.ts';
import { relativeToRoot } from '../shared/module-root.ts';
import type { HostRecord, Membership } from './membership.ts';
import type { NatsSession } from './nats-modules.ts';
import type { Payloads } from './payloads.ts';
import { RemoteHostLink, type LinkOwner } from './remote-link.ts';
import type { ThreadLost } from './host-threads.ts';
import {
  byeSubject,
  hostOfThreadLost,
  killSubject,
  parseAlias,
  streamSubject,
  THREAD_LOST_WILDCARD,
} from './subjects.ts';

/** Work done per host process, for reports of who did how much ({@link NatsHostSet.usage}). */
export interface HostUsage {
  readonly hostId: string;
  /** Slots on the host now. */
  readonly slots: number;
  /** Batches it answered, and messages in them, since the set was connected. */
  readonly batches: number;
  readonly messages: number;
  readonly alive: boolean;
}

export interface NatsHostSetParts {
  readonly session: NatsSession;
  readonly sessionId: string;
  readonly payloads: Payloads;
  readonly membership: Membership;
  readonly stepTimeoutMs: number;
  readonly controlTimeoutMs: number;
  /** Whether closing the set closes the connection (it made it). */
  readonly ownsConnection: boolean;
  /** The directory executor modules are named relative to (a `file:` URL), if any. */
  readonly moduleRoot: string | undefined;
}

export class NatsHostSet implements HostSet, AsyncDisposable, LinkOwner {
  readonly payloads: Payloads;
  readonly stepTimeoutMs: number;
  readonly controlTimeoutMs: number;
  private readonly links: RemoteHostLink[] = [];
  private readonly reloaders = new Map<string, HostReloader>();
  private readonly retired: RemoteHostLink[] = [];
  private placementCursor = 0;
  private closed = false;
  private unsubscribeStream: (() => void) | undefined;

  /** Use `connectHosts()`. */
  constructor(private readonly parts: NatsHostSetParts) {
    this.payloads = parts.payloads;
    this.stepTimeoutMs = parts.stepTimeoutMs;
    this.controlTimeoutMs = parts.controlTimeoutMs;
  }

  /** Deals `slots` over the live hosts in turn and starts listening to what they stream. */
  start(slots: number): void {
    const hosts = this.parts.membership.alive();
    const offered = hosts.flatMap((host) =>
      Array.from({ length: host.threads }, (_, thread) => [thread, host] as const),
    );
    // Thread 0 of every host first, then thread 1…: with fewer slots than threads, every host still gets some.
    offered.sort((a, b) => a[0] - b[0]);
    for (let slot = 0; slot < slots; slot++) {
      const host = offered[slot % offered.length]?.[1];
      if (host === undefined) throw new SuperstepError('POOL_START_FAILED', 'no actor host is alive');
      this.links.push(new RemoteHostLink({ session: this.parts.sessionId, slot, generation: 0 }, host, this));
    }
    const { nc } = this.parts.session;
    const subscription = nc.subscribe(streamSubject(this.parts.sessionId), {
      callback: (error, msg) => {
        if (error !== null) return;
        // Never let a bad message escape: a throw here would stop this subscription for good.
        this.payloads.incoming(msg).then(
          (bytes) => {
            this.deliverStream(bytes);
          },
          () => undefined,
        );
      },
    });
    const lost = nc.subscribe(THREAD_LOST_WILDCARD, {
      callback: (error, msg) => {
        if (error === null) this.threadLost(msg.subject, msg.data);
      },
    });
    this.unsubscribeStream = () => {
      subscription.unsubscribe();
      lost.unsubscribe();
    };
  }

  /**
   * A host's thread died: the lanes it served are gone (a batch in flight there would never be answered).
   * A lane that has not been served yet may be on the dead thread or its successor: it moves too.
   */
  private threadLost(subject: string, bytes: Uint8Array): void {
    try {
      const hostId = hostOfThreadLost(subject);
      const notice = decode(bytes) as Partial<ThreadLost> | null;
      if (hostId === undefined || typeof notice?.thread !== 'number') return;
      for (const link of [...this.links]) {
        if (link.remoteHostId !== hostId || link.thread !== notice.thread || link.lost) continue;
        if (link.servedBy !== undefined && link.servedBy !== notice.threadId) continue;
        this.laneFailed(link, `thread ${String(notice.thread)} of host ${hostId} died: ${String(notice.reason)}`);
      }
    } catch {
      // Not a notice: ignored.
    }
  }

  private deliverStream(bytes: Uint8Array): void {
    let message: HostEventsMessage | HostTimerMessage;
    try {
      message = decode(bytes) as HostEventsMessage | HostTimerMessage;
    } catch {
      return;
    }
    const lane = parseAlias((message as { instance?: unknown } | null)?.instance);
    if (lane?.session !== this.parts.sessionId) return;
    const link = this.links[lane.slot];
    // A lane that was replaced may still talk (a paused host resumed): only the current lane is heard.
    if (link?.lane.generation !== lane.generation || link.lost) return;
    link.deliver({ ...message, instance: lane.instance });
  }

  get size(): number {
    return this.links.length;
  }

  host(index: number): HostLink {
    const link = this.links[index];
    if (link === undefined) throw new SuperstepError('INTERNAL', `no host ${String(index)}`);
    return link;
  }

  /** Stops the slot's thread on its host (a hung handler) and gives the slot a new lane. */
  kill(index: number, reason: string): void {
    const link = this.links[index];
    if (link === undefined || link.lost) return;
    this.parts.session.nc.publish(killSubject(link.remoteHostId), encode({ thread: link.thread, reason }));
    this.laneFailed(link, reason);
  }

  nextPlacement(): number {
    return this.placementCursor++ % this.links.length;
  }

  registerInstance(instance: string, reload: HostReloader): () => void {
    this.reloaders.set(instance, reload);
    return () => this.reloaders.delete(instance);
  }

  portableModule(module: string): string {
    if (!module.startsWith('file:')) return module;
    const { moduleRoot } = this.parts;
    const relative = moduleRoot === undefined ? undefined : relativeToRoot(module, moduleRoot);
    if (relative === undefined) {
      throw new SuperstepError(
        'INVALID_EXECUTOR_REF',
        `executor module ${module} is not under the host set's moduleRoot (${moduleRoot ?? 'none given'}): ` +
          'a host in another process can load only modules named relative to the root it shares, or packages',
        { details: { module, moduleRoot: moduleRoot ?? null } },
      );
    }
    return `./${relative}`;
  }

  async reload(link: RemoteHostLink): Promise<void> {
    await Promise.all([...this.reloaders.values()].map((reload) => reload(link)));
  }

  hostFailed(remoteHostId: string, reason: string): void {
    // Membership calls back into hostLost once, whoever noticed first.
    this.parts.membership.declareLost(remoteHostId, reason);
  }

  /** Every slot on a lost host moves to the live hosts. Called by membership. */
  hostLost(remoteHostId: string, reason: string): void {
    for (const link of this.links) {
      if (link.remoteHostId === remoteHostId) this.laneFailed(link, `host ${remoteHostId} was lost: ${reason}`);
    }
  }

  laneFailed(link: RemoteHostLink, reason: string): void {
    if (this.closed || this.links[link.index] !== link) return;
    link.markLost(reason);
    this.retired.push(link);
    const target = this.leastLoaded();
    const lane = { session: this.parts.sessionId, slot: link.index, generation: link.lane.generation + 1 };
    const next = new RemoteHostLink(lane, target ?? { hostId: link.remoteHostId, threads: 1 }, this);
    this.links[link.index] = next;
    // With no host left the slot stays lost: its steps fail with WORKER_LOST and the run fails.
    if (target === undefined) next.markLost(`no actor host is alive (the last was lost: ${reason})`);
    else next.startReload();
  }

  /** The live host with the fewest slots per thread (ties: the first by id), or `undefined` if none is alive. */
  private leastLoaded(): HostRecord | undefined {
    const alive = this.parts.membership.alive();
    const load = (host: HostRecord): number =>
      this.links.filter((link) => link.remoteHostId === host.hostId && !link.lost).length / host.threads;
    let best: HostRecord | undefined;
    for (const host of alive) if (best === undefined || load(host) < load(best)) best = host;
    return best;
  }

  /**
   * Who did how much: per host process, its slots now and the batches and messages it answered.
   *
   * @example
   * for (const host of hosts.usage()) console.log(host.hostId, host.messages);
   */
  usage(): HostUsage[] {
    const byHost = new Map<string, { slots: number; batches: number; messages: number }>();
    for (const link of [...this.retired, ...this.links]) {
      const entry = byHost.get(link.remoteHostId) ?? { slots: 0, batches: 0, messages: 0 };
      if (!link.lost) entry.slots++;
      entry.batches += link.usage.batches;
      entry.messages += link.usage.messages;
      byHost.set(link.remoteHostId, entry);
    }
    return [...byHost].map(([hostId, entry]) => ({
      hostId,
      ...entry,
      alive: this.parts.membership.isAlive(hostId),
    }));
  }

  assertOpen(): void {
    if (this.closed) throw new SuperstepError('WORKFLOW_CLOSED', 'the NATS host set is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Tells every host the session ended (they drop its lanes) and closes the connection if it made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parts.membership.stop();
    this.unsubscribeStream?.();
    const { nc } = this.parts.session;
    for (const hostId of new Set(this.links.map((link) => link.remoteHostId))) {
      nc.publish(byeSubject(hostId), encode(this.parts.sessionId));
    }
    for (const link of this.links) link.markLost('the host set was closed');
    if (this.parts.ownsConnection) await nc.drain().catch(() => undefined);
    else await nc.flush().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
