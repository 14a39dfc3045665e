/** What a system of the `fanout-cpu` scenario is: the contract its contenders implement. */
/** The work one run does: `tasks` tasks of `iterations` rounds each. */
export interface FanoutWork {
  readonly tasks: number;
  readonly iterations: number;
}

/** A started system: `run()` does the whole fan-out and join once and returns the summed checksum. */
export interface FanoutRunner {
  run(): Promise<number>;
  close(): Promise<void>;
  /** One-off costs paid in `start()`, reported as their own result rows (e.g. `startupMs`). */
  readonly setup: readonly { readonly metric: string; readonly ms: number }[];
}

export interface FanoutSystem {
  readonly name: string;
  /** False when something it needs is missing (a server): the scenario skips it and says so. */
  readonly available?: () => Promise<boolean>;
  /** Starts pools and builds graphs: everything outside the timed region. */
  start(work: FanoutWork, threads: number): Promise<FanoutRunner>;
}
