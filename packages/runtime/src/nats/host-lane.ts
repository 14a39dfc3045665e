/**
 * One lane on a host process: one slot of one coordinator's host set (subjects.ts), served on one of the
 * host's worker threads. The coordinator's instance names are prefixed with the lane's key on the thread,
 * so two coordinators — or two slots of one, after a host was lost and its slots moved here — never share
 * an actor. Batches are taken in the order they arrive and numbered per instance by the coordinator: a
 * repeat is answered with the reply already given, anything else out of order is refused
 * (worker/batch-sequence.ts), so a request delivered twice never runs twice.
 */
import type { Msg } from '@nats-io/transport-node';
import { decode, encode } from '../shared/codec.ts';
import { answerControl } from '../shared/control-bytes.ts';
import { SuperstepError, toErrorRecord } from '../shared/errors.ts';
import type { HostLink } from '../shared/host-set.ts';
import type {
  ControlCall,
  HostControl,
  HostEventsMessage,
  HostTimerMessage,
  StepBatch,
  StepReply,
} from '../shared/protocol.ts';
import { BatchSequence } from '../worker/batch-sequence.ts';
import { allowedSpecifier, type ModuleAllowList } from './module-allow-list.ts';
import type { StreamEnvelope } from './nats-host-set.ts';
import type { FailedStep } from './remote-link.ts';
import type { Payloads } from './payloads.ts';
import { laneKey, streamSubject, type Lane } from './subjects.ts';

/** What a lane needs of its host process. */
export interface LaneHost {
  readonly payloads: Payloads;
  readonly allow: ModuleAllowList;
  /** The current link to local thread `index` (threads are replaced when they die). */
  thread(index: number): HostLink;
  readonly threads: number;
  /** Reports a failure that has nobody to answer to. */
  log(message: string, error: unknown): void;
}

function malformed(what: string): SuperstepError {
  return new SuperstepError('DECODE_FAILED', `malformed ${what} from a coordinator`);
}

/** A batch from the wire, checked for the fields the host relies on. */
function checkBatch(value: unknown): StepBatch {
  const batch = value as Partial<StepBatch> | null | undefined;
  if (
    batch?.op !== 'step' ||
    typeof batch.instance !== 'string' ||
    !Number.isSafeInteger(batch.seq) ||
    !Array.isArray(batch.deliveries) ||
    !Array.isArray(batch.shared)
  ) {
    throw malformed('step batch');
  }
  return batch as StepBatch;
}

function checkCall(value: unknown): ControlCall {
  const call = value as Partial<ControlCall> | null | undefined;
  if (call?.op !== 'call' || !Number.isSafeInteger(call.id)) {
    throw malformed('control call');
  }
  if (typeof call.method !== 'string' || !Array.isArray(call.args)) throw malformed('control call');
  return call as ControlCall;
}

export class HostLane {
  readonly key: string;
  readonly thread: number;
  /** Set when the lane's thread died: every later request is answered `WORKER_LOST`. */
  broken: SuperstepError | undefined;
  private readonly sequences = new Map<string, BatchSequence>();
  private readonly streams = new Map<string, () => void>();
  private intake: Promise<void> = Promise.resolve();
  readonly control: HostControl;

  constructor(
    readonly lane: Lane,
    private readonly host: LaneHost,
  ) {
    this.key = laneKey(lane);
    this.thread = lane.slot % host.threads;
    this.control = this.makeControl();
  }

  /** The instance's name on the thread. */
  private alias(instance: unknown): string {
    if (typeof instance !== 'string') throw malformed('instance name');
    return `${this.key}:${instance}`;
  }

  private get link(): HostLink {
    return this.host.thread(this.thread);
  }

  /** Takes a message for this lane, after those before it (so a slow large payload keeps its place). */
  take(kind: 'step' | 'control', msg: Msg): void {
    this.intake = this.intake
      .then(() => (kind === 'step' ? this.takeStep(msg) : this.takeControl(msg)))
      .catch((error: unknown) => {
        this.host.log(`lane ${this.key}: ${kind} not handled`, error);
      });
  }

  private reply(msg: Msg, bytes: Uint8Array): void {
    this.host.payloads.respond(msg, bytes).catch((error: unknown) => {
      this.host.log(`lane ${this.key}: reply not sent`, error);
    });
  }

  private fail(msg: Msg, error: unknown): void {
    if (error instanceof SuperstepError && error.code === 'WORKER_LOST') this.broken ??= error;
    const failed: FailedStep = { op: 'failed', error: toErrorRecord(error) };
    this.reply(msg, encode(failed));
  }

  private async takeStep(msg: Msg): Promise<void> {
    let batch: StepBatch;
    try {
      batch = checkBatch(decode(await this.host.payloads.incoming(msg)));
    } catch (error) {
      this.fail(msg, error);
      return;
    }
    const sequence = this.sequences.get(batch.instance);
    if (this.broken !== undefined || sequence === undefined) {
      this.fail(msg, this.broken ?? new SuperstepError('INTERNAL', `instance ${batch.instance} is not loaded here`));
      return;
    }
    const verdict = sequence.admit(batch);
    switch (verdict.kind) {
      case 'repeat':
        this.reply(msg, encode(verdict.reply));
        return;
      case 'refuse':
        this.fail(msg, verdict.error);
        return;
      case 'next':
        break;
    }
    const { instance, seq } = batch;
    this.link.step({ ...batch, instance: this.alias(instance) }).then(
      (local) => {
        const reply: StepReply = { ...local, instance, seq };
        sequence.remember(seq, reply);
        this.reply(msg, encode(reply));
      },
      (error: unknown) => {
        this.fail(msg, error);
      },
    );
  }

  private async takeControl(msg: Msg): Promise<void> {
    let call: ControlCall;
    try {
      call = checkCall(decode(await this.host.payloads.incoming(msg)));
    } catch (error) {
      this.reply(msg, encode({ op: 'result', id: -1, ok: false, error: toErrorRecord(error) }));
      return;
    }
    void answerControl(this.control, call).then((result) => {
      this.reply(msg, encode(result));
    });
  }

  /** The thread's control plane with this lane's instance names, and the allow-list applied to loads. */
  private makeControl(): HostControl {
    const guard = (): void => {
      if (this.broken !== undefined) throw this.broken;
    };
    const control = (): HostControl => {
      guard();
      return this.link.control;
    };
    return {
      loadInstance: async (request) => {
        const executors = request.executors.map((location) => ({
          ...location,
          module: allowedSpecifier(location.module, this.host.allow),
        }));
        const infos = await control().loadInstance({ ...request, instance: this.alias(request.instance), executors });
        this.loaded(request.instance);
        return infos;
      },
      dropInstance: async (instance) => {
        this.dropped(instance);
        await control().dropInstance(this.alias(instance));
      },
      commit: async (instance, at) => control().commit(this.alias(instance), at),
      rollback: async (instance, at) => control().rollback(this.alias(instance), at),
      prepareStates: async (instance, request) => control().prepareStates(this.alias(instance), request),
      commitPrepared: async (instance) => control().commitPrepared(this.alias(instance)),
      discardPrepared: async (instance) => control().discardPrepared(this.alias(instance)),
      validateResponse: async (instance, executorId, value) =>
        control().validateResponse(this.alias(instance), executorId, value),
      abort: async (instance, reason, run) => control().abort(this.alias(instance), reason, run),
      ping: async () => control().ping(),
      memory: async () => control().memory(),
    };
  }

  /** The instance is loaded: its batch count starts at 1 and what it streams goes to its coordinator. */
  private loaded(instance: string): void {
    this.sequences.set(instance, new BatchSequence());
    this.streams.get(instance)?.();
    const subject = streamSubject(this.lane.session);
    const forward = (message: HostEventsMessage | HostTimerMessage): void => {
      const envelope: StreamEnvelope = { ...this.lane, message: { ...message, instance } };
      this.host.payloads.publish(subject, encode(envelope)).catch((error: unknown) => {
        this.host.log(`lane ${this.key}: event not sent`, error);
      });
    };
    this.streams.set(instance, this.link.subscribe(this.alias(instance), forward));
  }

  private dropped(instance: string): void {
    this.sequences.delete(instance);
    this.streams.get(instance)?.();
    this.streams.delete(instance);
  }

  /** Drops every instance of the lane (its coordinator said goodbye, or the lane was killed). */
  async close(): Promise<void> {
    const instances = [...this.sequences.keys()];
    for (const instance of instances) this.dropped(instance);
    if (this.broken !== undefined) return;
    await Promise.allSettled(instances.map((instance) => this.link.control.dropInstance(this.alias(instance))));
  }
}
