/**
 * A worker thread of a `superstep-host` process, serving its lanes straight from NATS: it subscribes to its
 * own subjects (`superstep.host.<hostId>.t<thread>.step` and `.control`), runs each batch on its actor host
 * and answers the request itself, so a batch crosses no thread on the host. Instances carry their lane's
 * alias (the coordinator names them so), so the host's own sequencing (worker/batch-sequence.ts) applies
 * per lane. An instance this thread does not hold — it was replaced after its predecessor died — is
 * answered `WORKER_LOST`, and the coordinator moves the slot. Every NATS callback is wrapped: a throw in
 * one would stop the connection's reader for good.
 */
import { readFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import type { Msg, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { decode, encode, encodeMessage } from '../shared/codec.ts';
import { answerControl } from '../shared/control-bytes.ts';
import { SuperstepError, toErrorRecord } from '../shared/errors.ts';
import type { ControlCall, HostControl, StepBatch } from '../shared/protocol.ts';
import { allowedSpecifier, type ModuleAllowList } from '../nats/module-allow-list.ts';
import { loadNatsModules } from '../nats/nats-modules.ts';
import { Payloads } from '../nats/payloads.ts';
import type { FailedStep } from '../nats/remote-link.ts';
import { byeSubject, parseAlias, streamChannelName, threadSubject } from '../nats/subjects.ts';
import { ActorHost } from './actor-host.ts';

/** What a host process hands each of its threads (structured-cloned: plain data only). */
export interface RemoteThreadConfig {
  readonly servers: readonly string[];
  /** Client options without functions (they cannot cross to a thread); a creds file is read here. */
  readonly connection: Omit<NodeConnectionOptions, 'servers' | 'authenticator'>;
  readonly credsFile: string | undefined;
  readonly hostId: string;
  readonly thread: number;
  readonly allow: ModuleAllowList;
  readonly payloadBucket: string;
}

function malformed(what: string): SuperstepError {
  return new SuperstepError('DECODE_FAILED', `malformed ${what} from a coordinator`);
}

function checkBatch(value: unknown): StepBatch {
  const batch = value as Partial<StepBatch> | null | undefined;
  if (
    batch?.op !== 'step' ||
    typeof batch.instance !== 'string' ||
    !Number.isSafeInteger(batch.seq) ||
    typeof batch.commitPrepared !== 'boolean' ||
    !Array.isArray(batch.deliveries) ||
    !Array.isArray(batch.shared)
  ) {
    throw malformed('step batch');
  }
  return batch as StepBatch;
}

function checkCall(value: unknown): ControlCall {
  const call = value as Partial<ControlCall> | null | undefined;
  if (call?.op !== 'call' || !Number.isSafeInteger(call.id)) throw malformed('control call');
  if (typeof call.method !== 'string' || !Array.isArray(call.args)) throw malformed('control call');
  return call as ControlCall;
}

/** One thread's serving: intake in arrival order, each instance's batches one after another. */
class ThreadServer {
  readonly control: HostControl;
  private readonly loaded = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  private intake: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: ActorHost,
    private readonly payloads: Payloads,
    private readonly allow: ModuleAllowList,
  ) {
    this.control = this.makeControl();
  }

  take(kind: 'step' | 'control', msg: Msg): void {
    this.intake = this.intake
      .then(() => (kind === 'step' ? this.takeStep(msg) : this.takeControl(msg)))
      .catch((error: unknown) => {
        console.error(`superstep-host: a ${kind} request was not handled:`, error);
      });
  }

  private reply(msg: Msg, bytes: Uint8Array): void {
    this.payloads.respond(msg, bytes).catch((error: unknown) => {
      console.error('superstep-host: a reply was not sent:', error);
    });
  }

  private fail(msg: Msg, error: unknown): void {
    const failed: FailedStep = { op: 'failed', error: toErrorRecord(error) };
    this.reply(msg, encode(failed));
  }

  private async takeStep(msg: Msg): Promise<void> {
    let batch: StepBatch;
    try {
      batch = checkBatch(decode(await this.payloads.incoming(msg)));
    } catch (error) {
      this.fail(msg, error);
      return;
    }
    const { instance } = batch;
    if (!this.loaded.has(instance)) {
      this.fail(
        msg,
        new SuperstepError('WORKER_LOST', `instance ${instance} is not held by this thread (it restarted)`),
      );
      return;
    }
    const previous = this.chains.get(instance) ?? Promise.resolve();
    const next = previous
      .then(() => this.host.step(batch))
      .then(
        (reply) => {
          this.reply(msg, encodeMessage(reply));
        },
        (error: unknown) => {
          this.fail(msg, error);
        },
      );
    this.chains.set(instance, next);
    void next.then(() => {
      if (this.chains.get(instance) === next) this.chains.delete(instance);
    });
  }

  private async takeControl(msg: Msg): Promise<void> {
    let call: ControlCall;
    try {
      call = checkCall(decode(await this.payloads.incoming(msg)));
    } catch (error) {
      this.reply(msg, encode({ op: 'result', id: -1, ok: false, error: toErrorRecord(error) }));
      return;
    }
    void answerControl(this.control, call).then((result) => {
      this.reply(msg, encode(result));
    });
  }

  /** The host's control plane, with the allow-list applied to loads and the held instances tracked. */
  private makeControl(): HostControl {
    const host = this.host;
    return {
      loadInstance: async (request) => {
        if (parseAlias(request.instance) === undefined) throw malformed('instance name');
        const executors = request.executors.map((location) => ({
          ...location,
          module: allowedSpecifier(location.module, this.allow),
        }));
        const infos = await host.loadInstance({ ...request, executors });
        this.loaded.add(request.instance);
        return infos;
      },
      dropInstance: async (instance) => {
        this.loaded.delete(instance);
        await host.dropInstance(instance);
      },
      commit: (instance, at) => host.commit(instance, at),
      rollback: (instance, at) => host.rollback(instance, at),
      prepareStates: (instance, request) => host.prepareStates(instance, request),
      commitPrepared: (instance) => host.commitPrepared(instance),
      discardPrepared: (instance) => host.discardPrepared(instance),
      validateResponse: (instance, executorId, value) => host.validateResponse(instance, executorId, value),
      abort: (instance, reason, run) => host.abort(instance, reason, run),
      ping: () => host.ping(),
      memory: () => host.memory(),
    };
  }

  /** The coordinator of `session` closed its host set: drop its instances. */
  bye(session: string): void {
    for (const instance of [...this.loaded]) {
      if (parseAlias(instance)?.session !== session) continue;
      this.loaded.delete(instance);
      void this.host.dropInstance(instance).catch(() => undefined);
    }
  }
}

/** Connects this thread to NATS and serves its lanes until the returned function is called. */
export async function serveOverNats(config: RemoteThreadConfig, flushIntervalMs: number): Promise<() => Promise<void>> {
  const modules = await loadNatsModules('the superstep-host process');
  const authenticator =
    config.credsFile === undefined ? undefined : modules.client.credsAuthenticator(readFileSync(config.credsFile));
  const nc: NatsConnection = await modules.client.connect({
    ...config.connection,
    ...(authenticator === undefined ? {} : { authenticator }),
    servers: [...config.servers],
  });
  const payloads = new Payloads({ nc, modules }, config.payloadBucket);
  // What handlers stream (events, timer notices) goes through the host's main thread, which publishes it:
  // posted synchronously, it leaves even when the handler then spins (a timeout's watchdog needs it).
  const stream = new BroadcastChannel(streamChannelName(config.hostId));
  const host = new ActorHost({
    post: (bytes) => {
      stream.postMessage(bytes);
    },
    flushIntervalMs,
  });
  const server = new ThreadServer(host, payloads, config.allow);
  const listen = (subject: string, handle: (msg: Msg) => void): void => {
    nc.subscribe(subject, {
      callback: (error, msg) => {
        try {
          if (error === null) handle(msg);
        } catch (thrown) {
          console.error(`superstep-host: a message on ${subject} was not handled:`, thrown);
        }
      },
    });
  };
  listen(threadSubject(config.hostId, config.thread, 'step'), (msg) => {
    server.take('step', msg);
  });
  listen(threadSubject(config.hostId, config.thread, 'control'), (msg) => {
    server.take('control', msg);
  });
  listen(byeSubject(config.hostId), (msg) => {
    const session: unknown = decode(msg.data);
    if (typeof session === 'string') server.bye(session);
  });
  await nc.flush();
  return async () => {
    stream.close();
    await nc.drain().catch(() => undefined);
  };
}
