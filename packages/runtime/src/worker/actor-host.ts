/**
 * The actor host: everything a worker thread does. It holds the actors placed on it (their state is
 * resident here and never crosses threads unless it changed), runs a superstep's deliveries, and keeps
 * the superstep's drafts until the coordinator's verdict (see the commit protocol in protocol.ts).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { SuperstepError } from '../shared/errors.ts';
import { checkResponse } from '../shared/response-check.ts';
import type {
  ExecutorInfo,
  HostControl,
  HostHealth,
  LoadInstanceRequest,
  PrepareStatesRequest,
  ResponseCheck,
  StepBatch,
  StepMark,
  StepReply,
} from '../shared/protocol.ts';
import { DeliveryRunner } from './delivery-runner.ts';
import {
  applyShared,
  buildInstance,
  commitPending,
  compareMarks,
  applyPreparedStates,
  type Instance,
  buildPreparedStates,
  holdDrafts,
  rollbackPending,
} from './instance.ts';
import { LiveUpdates, type LiveUpdatesOptions } from './live-updates.ts';
import { StepOutput, stepReply } from './step-output.ts';

if (isMainThread) {
  throw new Error('superstep: worker/actor-host.ts runs only inside a worker thread');
}

/** How a host reaches the coordinator: the data port, and how often events are streamed. */
export type ActorHostOptions = LiveUpdatesOptions;

export class ActorHost implements HostControl {
  private readonly instances = new Map<string, Instance>();
  private readonly live: LiveUpdates;
  private readonly deliveries: DeliveryRunner;

  constructor(options: ActorHostOptions) {
    this.live = new LiveUpdates(options);
    this.deliveries = new DeliveryRunner(this.live);
  }

  // ---- control plane ------------------------------------------------------------------------------
  // The contract returns promises (comlink makes every call asynchronous anyway); methods doing only
  // synchronous work return settled ones instead of being `async` without an await.

  async loadInstance(request: LoadInstanceRequest): Promise<ExecutorInfo[]> {
    const { instance, infos } = await buildInstance(request);
    this.instances.set(request.instance, instance);
    return infos;
  }

  async prepareStates(instance: string, request: PrepareStatesRequest): Promise<void> {
    await buildPreparedStates(this.requireInstance(instance), request);
  }

  commitPrepared(instance: string): Promise<void> {
    applyPreparedStates(this.requireInstance(instance));
    return Promise.resolve();
  }

  discardPrepared(instance: string): Promise<void> {
    const found = this.instances.get(instance);
    if (found !== undefined) found.prepared = undefined;
    return Promise.resolve();
  }

  private requireInstance(instance: string): Instance {
    const found = this.instances.get(instance);
    if (found === undefined)
      throw new SuperstepError('INTERNAL', `instance ${instance} is not loaded on thread ${threadId}`);
    return found;
  }

  dropInstance(instance: string): Promise<void> {
    this.instances.get(instance)?.abort.abort('dropped');
    this.instances.delete(instance);
    return Promise.resolve();
  }

  commit(instance: string, at: StepMark): Promise<void> {
    const found = this.instances.get(instance);
    // Drafts of a later superstep than `at` mean this commit arrived late: they await their own verdict.
    if (found?.pendingMark !== undefined && compareMarks(found.pendingMark, at) <= 0) commitPending(found);
    return Promise.resolve();
  }

  rollback(instance: string, at: StepMark): Promise<void> {
    const found = this.instances.get(instance);
    if (found?.pendingMark !== undefined && compareMarks(found.pendingMark, at) === 0) rollbackPending(found);
    return Promise.resolve();
  }

  async validateResponse(instance: string, executorId: string, value: unknown): Promise<ResponseCheck> {
    const definition = this.requireInstance(instance).executors.get(executorId);
    if (definition === undefined) throw new SuperstepError('INTERNAL', `executor "${executorId}" is not loaded`);
    return await checkResponse(definition, value);
  }

  abort(instance: string, reason: string, run: number): Promise<void> {
    const target = this.instances.get(instance);
    if (target !== undefined) {
      target.aborted = { run, reason };
      if (target.currentRun === run) target.abort.abort(reason);
    }
    return Promise.resolve();
  }

  ping(): Promise<HostHealth> {
    return Promise.resolve(this.health(false));
  }

  async memory(): Promise<HostHealth> {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc !== undefined) {
      // Twice, with a turn of the event loop between for finalizers: what is left is retained.
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    return this.health(gc !== undefined);
  }

  private health(collected: boolean): HostHealth {
    return { threadId, instances: this.instances.size, heapUsed: process.memoryUsage().heapUsed, collected };
  }

  // ---- data plane ---------------------------------------------------------------------------------

  /**
   * Runs one batch. Batches of one instance must come one after another (the caller queues them); each is
   * admitted by its number first (see batch-sequence.ts): a repeat gets the reply it already had.
   */
  async step(batch: StepBatch): Promise<StepReply> {
    const instance = this.instances.get(batch.instance);
    const output = new StepOutput(batch.timed);
    const verdict = instance?.sequence.admit(batch);
    if (verdict?.kind === 'repeat') return verdict.reply;
    if (verdict?.kind === 'refuse') {
      output.failure = { executorId: '', error: verdict.error.toRecord() };
      return stepReply(batch, output, []);
    }
    if (instance === undefined) {
      output.failure = {
        executorId: '',
        error: new SuperstepError(
          'INTERNAL',
          `instance ${batch.instance} is not loaded on thread ${threadId}`,
        ).toRecord(),
      };
      return stepReply(batch, output, []);
    }
    // A restore or reset's second phase, riding on this batch (see StepBatch.commitPrepared).
    if (batch.commitPrepared) {
      if (instance.prepared === undefined) {
        output.failure = {
          executorId: '',
          error: new SuperstepError('INTERNAL', `batch ${batch.seq} commits states never prepared`).toRecord(),
        };
        return this.answer(instance, batch, stepReply(batch, output, []));
      }
      applyPreparedStates(instance);
    }
    if (!batch.continuation) {
      // A batch for a later superstep means the previous one succeeded everywhere.
      commitPending(instance);
      applyShared(instance.shared, batch.shared);
      // A fresh signal per run; an abort that overtook this batch applies to it.
      instance.currentRun = batch.run;
      if (instance.aborted?.run === batch.run) instance.abort.abort(instance.aborted.reason);
      else if (instance.abort.signal.aborted) instance.abort = new AbortController();
    }
    this.live.stepStarted();
    // Late calls reported between steps are seen with this one; those made while it runs, in it.
    for (const warning of instance.lateWarnings) output.events.push(warning);
    instance.lateWarnings = [];
    instance.running = { superstep: batch.superstep, output };

    // Synchronous handlers run without a promise per actor; only asynchronous ones are awaited.
    const pending: Promise<void>[] = [];
    const step = { instance, superstep: batch.superstep, output };
    for (const delivery of batch.deliveries) {
      const running = this.deliveries.run(step, delivery);
      if (running !== undefined) pending.push(running);
    }
    if (pending.length > 0) await Promise.all(pending);
    instance.running = undefined;
    // Stateless work only: no actor state changed, and the superstep's drafts still await the verdict.
    if (batch.continuation) return this.answer(instance, batch, stepReply(batch, output, []));

    return this.answer(instance, batch, stepReply(batch, output, holdDrafts(instance, batch, output)));
  }

  private answer(instance: Instance, batch: StepBatch, reply: StepReply): StepReply {
    instance.sequence.remember(batch.seq, reply);
    return reply;
  }
}
