/**
 * The order in which a host takes one instance's batches: exactly the next number, once. A transport may
 * deliver a batch twice (a request re-sent after a timeout, a paused host resuming with stale requests):
 * the repeat is answered with the reply already given and runs nothing, so no superstep commits twice. A
 * batch that is neither the next one nor a repeat still remembered is refused.
 */
import { SuperstepError } from '../shared/errors.ts';
import type { StepBatch, StepReply } from '../shared/protocol.ts';

/** What to do with a batch: run it, answer it again, or refuse it. */
export type SequenceVerdict =
  | { readonly kind: 'next' }
  | { readonly kind: 'repeat'; readonly reply: StepReply }
  | { readonly kind: 'refuse'; readonly error: SuperstepError };

export class BatchSequence {
  private expected = 1;
  /**
   * Replies of the current superstep by number (its first batch and its continuations). Earlier ones are
   * forgotten when a new superstep starts: the coordinator has passed their barrier and waits for none.
   */
  private readonly answered = new Map<number, StepReply>();

  /** Judges `batch` against the numbers seen so far; a `next` batch is counted as taken. */
  admit(batch: StepBatch): SequenceVerdict {
    if (batch.seq === this.expected) {
      this.expected++;
      if (!batch.continuation) this.answered.clear();
      return { kind: 'next' };
    }
    const reply = this.answered.get(batch.seq);
    if (reply !== undefined) return { kind: 'repeat', reply };
    const error = new SuperstepError(
      'INTERNAL',
      `instance ${batch.instance}: batch ${batch.seq} refused, the host expected batch ${this.expected}`,
      { details: { seq: batch.seq, expectedSeq: this.expected, superstep: batch.superstep } },
    );
    return { kind: 'refuse', error };
  }

  /** Remembers the reply to batch `seq`, for a repeat of it. */
  remember(seq: number, reply: StepReply): void {
    this.answered.set(seq, reply);
  }
}
