/**
 * Starts a workflow instance's runs: checks the run's options, reserves the instance (guarantee 29) and
 * starts a {@link Run}; keeps hold of the active run so closing the workflow can cancel it and wait for it.
 */
import type { Checkpointer } from '../checkpoints/checkpointer.ts';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import type { Coordinator } from '../superstep/coordinator.ts';
import type { RunContext } from '../superstep/coordinator-types.ts';
import { checkRunOptions, type ResumeOptions } from '../workflow-options.ts';
import type { Lifecycle } from './lifecycle.ts';
import { Run } from './run.ts';
import type { PublishedEvents } from './run-event-sink.ts';
import type { TakeLease } from './run-lease.ts';
import type { RunHandle } from './run-handle.ts';

/** What runs need of their workflow instance. */
export interface RunLauncherParts {
  readonly lifecycle: Lifecycle;
  readonly coordinator: Coordinator;
  readonly checkpointer: Checkpointer;
  /** Makes run ids. */
  readonly createId: () => string;
  /** The workflow's store; a run's own store takes its place for that run. */
  readonly store: CheckpointStore | undefined;
  /** Where failed checkpoint writes are logged (guarantee 27). */
  readonly logger: Pick<Console, 'warn'>;
  /** Takes the instance's lease for one run (guarantee 52); `RunLease.NONE` when the workflow has none. */
  readonly takeLease: TakeLease;
  /** Where every run's events also go (a stream other processes follow), with the instance's name. */
  readonly events?: PublishedEvents | undefined;
}

export class RunLauncher {
  private active: Run<unknown> | undefined;

  constructor(private readonly parts: RunLauncherParts) {}

  /** Starts a run; throws at once if an option is refused or another run holds the instance (guarantee 29). */
  start<Output>(start: RunContext['start'], maxSupersteps: number, options: ResumeOptions): RunHandle<Output> {
    const { lifecycle, coordinator, checkpointer, logger } = this.parts;
    const pendingMode = checkRunOptions(options);
    const token = Symbol('run');
    lifecycle.reserve(token);
    const run = new Run<Output>({
      runId: this.parts.createId(),
      token,
      lifecycle,
      coordinator,
      checkpointer,
      start,
      maxSupersteps,
      options,
      pendingMode,
      // A per-run store belongs to this run only, not to the instance (guarantee 36).
      store: options.store ?? this.parts.store,
      logger,
      takeLease: this.parts.takeLease,
      events: this.parts.events,
      onEnded: (ended) => {
        if (this.active === ended) this.active = undefined;
      },
    });
    this.active = run;
    return run.handle;
  }

  /** Cancels the active run, if any, and waits until it has ended. */
  async cancelActive(reason: string): Promise<void> {
    const active = this.active;
    if (active !== undefined) {
      active.cancel(reason);
      await active.done;
    }
  }
}
