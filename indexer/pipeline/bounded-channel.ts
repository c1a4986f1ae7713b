/**
 * A bounded async queue between two pipeline stages. `push` waits while the queue is full, which
 * is what keeps memory bounded: a fast producer (decode) can run at most `capacity` items ahead
 * of a slow consumer (encode) and no further.
 */
export class BoundedChannel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #closed = false;
  #error: unknown = undefined;
  #waitingPush: Array<() => void> = [];
  #waitingPull: Array<() => void> = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Resolves once the item is queued; rejects if the channel was closed meanwhile. */
  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#waitingPush.push(resolve));
    }
    if (this.#closed) throw new Error('push on a closed channel');
    this.#items.push(item);
    this.#wake(this.#waitingPull);
  }

  /** No more items: consumers drain what is queued and then stop. With an error, they throw it. */
  close(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    this.#wake(this.#waitingPull, true);
    this.#wake(this.#waitingPush, true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next item, or undefined when the channel is closed and drained. */
  async pull(): Promise<T | undefined> {
    for (;;) {
      if (this.#items.length > 0) {
        const item = this.#items.shift() as T;
        this.#wake(this.#waitingPush);
        return item;
      }
      if (this.#closed) {
        if (this.#error !== undefined) throw asError(this.#error);
        return undefined;
      }
      await new Promise<void>((resolve) => this.#waitingPull.push(resolve));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.pull();
      if (item === undefined) return;
      yield item;
    }
  }

  #wake(queue: Array<() => void>, all = false): void {
    const n = all ? queue.length : Math.min(1, queue.length);
    for (const resolve of queue.splice(0, n)) resolve();
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
