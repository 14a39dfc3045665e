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
 */
import type { WorkflowEvent } from '../../shared/events.ts';
import type { ReleaseHold } from '../run/event-gate.ts';
import type { InstanceCut, RunContext } from './coordinator-types.ts';

export class BarrierCheckpoints {
  /** The write taken at the last barrier, not yet started. */
  private deferred: (() => Promise<void>) | undefined;
  /** The write in progress, settled when its events are out. */
  private writing: Promise<void> | undefined;

  constructor(private readonly run: Pick<RunContext, 'events' | 'checkpoint'>) {}

  /**
   * Barrier `superstep` is committed: take its cut now, write it later ({@link start}); the run's events
   * are held until then. `completed`: also emit `superstep.completed` after the checkpoint's event (false
   * for the entry checkpoint).
   */
  defer(superstep: number, cut: () => InstanceCut, completed: boolean): void {
    const write = this.run.checkpoint;
    const done: WorkflowEvent[] = completed ? [{ type: 'superstep.completed', superstep }] : [];
    if (write === undefined) {
      for (const event of done) this.run.events.emit(event);
      return;
    }
    const taken = cut();
    const release: ReleaseHold = this.run.events.hold();
    this.deferred = async () => {
      let saved: WorkflowEvent | undefined;
      try {
        saved = await write(taken);
      } finally {
        // Whatever happened to the write, the held events go out, in order, after its own.
        release(saved === undefined ? done : [saved, ...done]);
      }
    };
  }

  /** Starts the deferred write, if any (after the next superstep's batches are posted). */
  start(): Promise<void> {
    const deferred = this.deferred;
    this.deferred = undefined;
    if (deferred !== undefined) this.writing = deferred();
    return this.writing ?? Promise.resolve();
  }

  /** Starts the deferred write if needed and waits until it and its events are out. */
  async flush(): Promise<void> {
    await this.start();
    this.writing = undefined;
  }
}
