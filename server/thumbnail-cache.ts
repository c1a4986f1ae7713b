/**
 * Thumbnails made on first request and kept in memory, least recently used evicted first, under
 * a byte budget. Concurrent requests for the same thumbnail share one decode: a result grid asks
 * for dozens at once and decoding a 12 MP JPEG twice is the expensive part.
 */
export interface Thumbnail {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export type MakeThumbnail = (bytes: Uint8Array, maxSide: number) => Promise<Thumbnail>;

export class ThumbnailCache {
  readonly #entries = new Map<string, Thumbnail>();
  readonly #inflight = new Map<string, Promise<Thumbnail>>();
  readonly #budget: number;
  #bytes = 0;

  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string, make: () => Promise<Thumbnail>): Promise<Thumbnail> {
    const hit = this.#entries.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const work = make()
      .then((thumb) => {
        this.#store(key, thumb);
        return thumb;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, work);
    return work;
  }

  #store(key: string, thumb: Thumbnail): void {
    if (thumb.bytes.byteLength > this.#budget) return;
    this.#entries.set(key, thumb);
    this.#bytes += thumb.bytes.byteLength;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.#budget) break;
      this.#entries.delete(oldKey);
      this.#bytes -= old.bytes.byteLength;
    }
  }
}
