/**
 * A single-consumer async queue: the producer pushes, the consumer iterates with `for await`. Nothing
 * polls: a waiting consumer is woken by the push that satisfies it.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;
  private isDiscarding = false;

  push(value: T): void {
    if (this.closed || this.isDiscarding) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  /** Ends the stream: buffered values are still delivered, then the iteration finishes. */
  close(): void {
    this.closed = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  /** True once {@link discard} was called: producers may skip building values nobody reads. */
  get discarding(): boolean {
    return this.isDiscarding;
  }

  /** Drops buffered and future values (nobody will read them). */
  discard(): void {
    this.isDiscarding = true;
    this.buffer.length = 0;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
    };
  }
}
