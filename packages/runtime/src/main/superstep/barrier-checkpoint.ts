/**
 * Writes the checkpoint of barrier N while superstep N+1 runs, without changing what anyone observes.
 *
 * At barrier N the coordinator takes the cut (synchronously: nothing of N+1 can change it) and defers the
 * write. Superstep N+1 posts its batches first, then the write starts: the store's work on the main
 * thread (encoding, hashing what no host hashed, a synchronous SQLite transaction) overlaps with the
 * handlers of N+1 running on the workers, and an asynchronous store's I/O overlaps with all of N+1.
 *
 * What stays as guarantee 3 says: the events. From barrier N until its checkpoint is written, every event of
 * the run (and every status change) is held back in order; when the write settles, `checkpoint.saved` (or
 * the `CHECKPOINT_FAILED` warning, guarantee 27) and `superstep.completed` N go out first, then what was held.
 * The run's outcome is not decided before the last write settles: the coordinator flushes before it
 * waits for answers and before it returns.
 *
 * What changes: a crash while N+1 runs may find checkpoint N not yet durable, and a resume then starts
 * from N−1 and runs N again. That is what a crash during N itself would do, so replay-based recovery is
 * unaffected (guarantee 24), but handlers of N+1 can start before checkpoint N exists.
 *
 * Every checkpoint says how the run stood (guarantee 56). A barrier's write learns it when it starts:
 * `running` while supersteps follow, `waiting` when the run waits for answers, and the run's final status
 * when it is the run's last. A run whose last barrier was already written when it ended (it failed or was
 * cancelled in the superstep after) gets one more, `final` checkpoint saying so.
 *
 * An answer accepted between barriers is written before `respond()` resolves (guarantee 55): a `response`
 * checkpoint, the last barrier's cut with the answers accepted since. All the run's writes go one after
 * the other, so the newest in the store is the newest the run has.
 */
import type { WorkflowEvent } from '../../shared/events.ts';
import type { CheckpointReason, CheckpointRunStatus } from '../checkpoints/checkpoint-store.ts';
import type { ReleaseHold } from '../run/event-gate.ts';
import type { InstanceCut, RunContext } from './coordinator-types.ts';

/** A barrier's write, taken at the barrier: it learns how the run stands when it starts. */
type DeferredWrite = (runStatus: CheckpointRunStatus) => Promise<void>;

export class BarrierCheckpoints {
  /** The write taken at the last barrier, not yet started. */
  private deferred: DeferredWrite | undefined;
  /** Every write of the run in order, each started once the one before settled (and its events are out). */
  private tail: Promise<void> = Promise.resolve();
  /** How the run stood in the last write started; `undefined` before the first. */
  private lastStatus: CheckpointRunStatus | undefined;
  /** The last cut taken (a barrier's, the run's start): a response checkpoint is it with the answers since. */
  private base: InstanceCut | undefined;

  constructor(private readonly run: Pick<RunContext, 'events' | 'checkpoint'>) {}

  /** The run carries on from `cut` without writing it (a resume): response checkpoints start from it. */
  rebase(cut: InstanceCut): void {
    this.base = cut;
  }

  /**
   * Barrier `superstep` is committed: take its cut now, write it later ({@link start}); the run's events
   * are held until then. `completed`: also emit `superstep.completed` after the checkpoint's event (false
   * for the entry checkpoint).
   */
  defer(
    superstep: number,
    cut: () => InstanceCut,
    how: { readonly completed: boolean; readonly reason: CheckpointReason },
  ): void {
    const write = this.run.checkpoint;
    const done: WorkflowEvent[] = how.completed ? [{ type: 'superstep.completed', superstep }] : [];
    if (write === undefined) {
      for (const event of done) this.run.events.emit(event);
      return;
    }
    const taken = cut();
    this.base = taken;
    const release: ReleaseHold = this.run.events.hold();
    this.deferred = async (runStatus) => {
      let saved: WorkflowEvent | undefined;
      try {
        saved = await write(taken, { reason: how.reason, runStatus });
      } finally {
        // Whatever happened to the write, the held events go out, in order, after its own.
        release(saved === undefined ? done : [saved, ...done]);
      }
    };
  }

  /** Starts the deferred write, if any (after the next superstep's batches are posted), saying `runStatus`. */
  start(runStatus: CheckpointRunStatus = 'running'): Promise<void> {
    const deferred = this.deferred;
    this.deferred = undefined;
    if (deferred !== undefined) {
      this.lastStatus = runStatus;
      this.tail = this.tail.then(() => deferred(runStatus));
    }
    return this.tail;
  }

  /** Starts the deferred write if needed and waits until it and its events are out. */
  async flush(runStatus: CheckpointRunStatus = 'running'): Promise<void> {
    await this.start(runStatus);
  }

  /**
   * The run ended as `runStatus`: the last barrier's write says so, or, when it was already written (or
   * there was none), one more `final` checkpoint of `cut` does. Waits until every write is out.
   */
  async finish(runStatus: CheckpointRunStatus, cut: () => InstanceCut): Promise<void> {
    const write = this.run.checkpoint;
    if (this.deferred === undefined && write !== undefined && this.lastStatus !== runStatus) {
      const taken = cut();
      this.lastStatus = runStatus;
      this.tail = this.tail.then(() => this.emitted(write(taken, { reason: 'final', runStatus })));
    }
    await this.flush(runStatus);
  }

  /**
   * An answer was accepted: writes the last cut with the answers accepted since ({@link withAnswers} makes
   * it), after every write before it. Resolves once it is written (or its failure reported, guarantee 27).
   */
  async answered(withAnswers: (base: InstanceCut) => InstanceCut): Promise<void> {
    const write = this.run.checkpoint;
    const base = this.base;
    if (write === undefined || base === undefined) return;
    // The last barrier's own write goes first, so the answer's is the newer.
    void this.start();
    this.lastStatus = 'running';
    const written = this.tail.then(() => this.emitted(write(withAnswers(this.base ?? base), ANSWERED)));
    this.tail = written;
    await written;
  }

  private async emitted(saved: Promise<WorkflowEvent>): Promise<void> {
    this.run.events.emit(await saved);
  }
}

const ANSWERED = { reason: 'response', runStatus: 'running' } as const;
