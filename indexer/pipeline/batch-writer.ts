/**
 * The last two stages: gathers work units into batches, runs the towers once per batch, and
 * commits each batch in one library transaction (items, moves and caption links together), so
 * a kill at any moment leaves whole batches or nothing. A tensor the encoder rejects fails only
 * its own item: the batch is retried one by one.
 */
import { isEngineError } from '../../src/errors.ts';
import type { ItemMove, ItemWrite, PairWrite, ShotWrite, VideoWrite } from '../../src/store/library.types.ts';
import type { IndexLibrary, IndexModel } from './index-deps.ts';
import type { IndexStats } from './index-stats.ts';
import { describeDecodeError } from './plan-image.ts';
import { describeVideoError, type PreparedShot } from './plan-video.ts';
import type { ItemDraft, VideoDraft, WorkUnit } from './work-unit.ts';

export interface BatchWriterOptions {
  readonly batchSize: number;
  readonly textBatchSize: number;
  /** Save the HNSW graphs at most this often (they are rebuilt from SQLite after a crash). */
  readonly checkpointEveryMs: number;
}

type Outcome = 'indexed' | 'reused' | 'failed' | 'moved' | 'touched';

export class BatchWriter {
  #images: Array<{ draft: ItemDraft; pixels: Float32Array }> = [];
  #texts: Array<{ draft: ItemDraft; text: string }> = [];
  #writes: Array<{ write: ItemWrite; outcome: Outcome }> = [];
  #moves: Array<{ move: ItemMove; kind: 'image' | 'text' | 'video'; outcome: Outcome }> = [];
  #videos: Array<{ write: VideoWrite; outcome: Outcome }> = [];
  #pairs: PairWrite[] = [];
  #lastCheckpoint: number;

  constructor(
    private readonly library: IndexLibrary,
    private readonly model: IndexModel,
    private readonly stats: IndexStats,
    private readonly options: BatchWriterOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#lastCheckpoint = now();
  }

  get pending(): number {
    return (
      this.#images.length +
      this.#texts.length +
      this.#writes.length +
      this.#moves.length +
      this.#pairs.length +
      this.#videos.length
    );
  }

  /** Queues a unit; commits when a batch is full. Resolves after any commit it caused. */
  async add(unit: WorkUnit): Promise<void> {
    // Captions are linked to images: commit pending images before the first text behind them.
    if ((unit.type === 'encode-text' || unit.type === 'pairs') && this.#images.length > 0) await this.flush();
    switch (unit.type) {
      case 'encode-image':
        this.#images.push({ draft: unit.draft, pixels: unit.pixels });
        break;
      case 'encode-text':
        this.#texts.push({ draft: unit.draft, text: unit.text });
        break;
      case 'write':
        this.#writes.push({ write: unit.write, outcome: unit.outcome });
        break;
      case 'move':
        this.#moves.push({ move: unit.move, kind: unit.kind, outcome: unit.outcome });
        break;
      case 'pairs':
        break;
      case 'encode-video':
        this.#videos.push(await this.#encodeVideo(unit.draft, unit.shots, unit.describe));
        break;
      case 'write-video':
        this.#videos.push({ write: unit.write, outcome: unit.outcome });
        break;
    }
    if ((unit.type === 'encode-text' || unit.type === 'write' || unit.type === 'pairs') && unit.pairs) {
      this.#pairs.push(...unit.pairs);
    }
    const direct = this.#writes.length + this.#moves.length + this.#pairs.length + this.#videos.length;
    if (
      this.#images.length >= this.options.batchSize ||
      this.#texts.length >= this.options.textBatchSize ||
      direct >= 4 * this.options.batchSize
    ) {
      await this.flush();
    }
  }

  /** Encodes and commits everything pending as one transaction. */
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const [images, texts, writes, moves, pairs, videos] = [
      this.#images,
      this.#texts,
      this.#writes,
      this.#moves,
      this.#pairs,
      this.#videos,
    ];
    this.#videos = [];
    this.#images = [];
    this.#texts = [];
    this.#writes = [];
    this.#moves = [];
    this.#pairs = [];

    const encoded: Array<{ write: ItemWrite; outcome: Outcome }> = [...writes];
    const itm = this.model.itm?.info.sharesPixels ? this.model.itm : undefined;
    if (images.length) {
      const pixels = images.map((i) => i.pixels);
      const vectors = await this.#encode(pixels, (b) => this.model.image.encodeBatch(b));
      // The re-ranking stage's image states come from the same pixels; an image whose states fail
      // is still indexed (re-ranking derives them from its file later).
      const states = itm ? await itm.imageFeatures(pixels).catch(() => undefined) : undefined;
      images.forEach((img, i) => {
        const out = toWrite(img.draft, vectors[i]);
        const features = states?.[i];
        encoded.push(
          features && out.write.status === 'indexed'
            ? { ...out, write: { ...out.write, itmFeatures: features } }
            : out,
        );
      });
    }
    if (texts.length) {
      const vectors = await this.#encode(
        texts.map((t) => t.text),
        (b) => this.model.text.encodeBatch(b),
      );
      texts.forEach((txt, i) => encoded.push(toWrite(txt.draft, vectors[i])));
    }
    const tag = this.model.tag;
    const items = encoded.map((e) =>
      tag && e.write.kind === 'image' && e.write.status === 'indexed' && e.write.vector
        ? { ...e.write, tags: tag(e.write.vector) }
        : e.write,
    );
    const linked = pairs.filter((p) => this.#pairResolvable(p, items));
    this.stats.captionsWithoutImage += pairs.length - linked.length;

    const fingerprintId = this.model.fingerprint?.id;
    const written = this.library.write({
      items,
      moves: moves.map((m) => m.move),
      pairs: linked,
      ...(videos.length ? { videos: videos.map((v) => v.write) } : {}),
      ...(fingerprintId ? { fingerprintId } : {}),
      ...(itm ? { itmStageId: itm.info.id } : {}),
    });

    if (this.model.neighbours) {
      const images = written.itemIds.filter(
        (_, i) => items[i]!.kind === 'image' && items[i]!.status === 'indexed' && items[i]!.vector,
      );
      this.stats.neighbourQueries += this.model.neighbours.link(images);
    }

    this.stats.batches += 1;
    this.stats.pairs += linked.length;
    for (const e of encoded) this.#count(e.write.kind, e.outcome);
    for (const m of moves) this.#count(m.kind, m.outcome);
    for (const v of videos) {
      this.#count('video', v.outcome);
      this.stats.shots += v.write.shots?.length ?? 0;
    }
    if (this.now() - this.#lastCheckpoint >= this.options.checkpointEveryMs) await this.checkpoint();
  }

  async checkpoint(): Promise<void> {
    await this.library.checkpoint();
    this.#lastCheckpoint = this.now();
  }

  #count(kind: 'image' | 'text' | 'video', outcome: Outcome): void {
    const s = kind === 'image' ? this.stats.images : kind === 'video' ? this.stats.videos : this.stats.texts;
    s[outcome] += 1;
    if (kind !== 'text') this.stats.filesDone += 1;
  }

  /**
   * Reads a video's shots as ffmpeg decodes them and encodes them a batch at a time, so only
   * vectors and thumbnails accumulate. A decode failure fails the video (with the shots found
   * so far, if any, it is kept as far as it could be read); an abort leaves it for the next run.
   */
  async #encodeVideo(
    draft: VideoDraft,
    shots: AsyncIterable<PreparedShot>,
    describe: () => Record<string, unknown>,
  ): Promise<{ write: VideoWrite; outcome: Outcome }> {
    const done: ShotWrite[] = [];
    let chunk: PreparedShot[] = [];
    let failure: string | undefined;
    const encodeChunk = async (): Promise<void> => {
      const batch = chunk;
      chunk = [];
      const vectors = await this.#encode(
        batch.map((s) => s.pixels),
        (b) => this.model.image.encodeBatch(b),
      );
      batch.forEach((shot, i) => {
        const vector = vectors[i];
        if (vector instanceof Float32Array) {
          done.push({ start: shot.start, end: shot.end, vector, thumbnail: shot.thumbnail });
        }
      });
    };
    try {
      for await (const shot of shots) {
        chunk.push(shot);
        if (chunk.length >= this.options.batchSize) await encodeChunk();
      }
      if (chunk.length) await encodeChunk();
    } catch (error) {
      if (isEngineError(error, 'ABORTED')) throw error;
      failure = describeVideoError(error);
    }
    const metadata = { ...draft.metadata, ...describe(), shots: done.length };
    if (done.length === 0) {
      return {
        write: { ...draft, metadata, status: 'failed', error: failure ?? 'no shot could be encoded' },
        outcome: 'failed',
      };
    }
    return {
      write: {
        ...draft,
        metadata: failure ? { ...metadata, partial: failure } : metadata,
        status: 'indexed',
        shots: done,
      },
      outcome: 'indexed',
    };
  }

  #pairResolvable(pair: PairWrite, items: readonly ItemWrite[]): boolean {
    const has = (kind: 'image' | 'text', side: PairWrite['image']): boolean =>
      items.some((i) => i.kind === kind && i.rootId === side.rootId && i.uri === side.uri) ||
      this.library.findByUri(side.rootId, side.uri) !== undefined;
    return has('image', pair.image) && has('text', pair.text);
  }

  /** Encodes a batch; if the tower rejects it, encodes one by one so only the culprit fails. */
  async #encode<T>(
    inputs: T[],
    run: (batch: T[]) => Promise<Float32Array[]>,
  ): Promise<Array<Float32Array | Error>> {
    const started = performance.now();
    try {
      return await run(inputs);
    } catch {
      const out: Array<Float32Array | Error> = [];
      for (const input of inputs) {
        try {
          const [v] = await run([input]);
          out.push(v ?? new Error('encoder returned no vector'));
        } catch (error) {
          out.push(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return out;
    } finally {
      this.stats.encodeMs += performance.now() - started;
    }
  }
}

function toWrite(
  draft: ItemDraft,
  vector: Float32Array | Error | undefined,
): { write: ItemWrite; outcome: Outcome } {
  if (vector instanceof Float32Array) {
    return { write: { ...draft, status: 'indexed', vector }, outcome: 'indexed' };
  }
  const reason = vector ? `encoder failed: ${describeDecodeError(vector)}` : 'encoder returned no vector';
  return { write: { ...draft, status: 'failed', error: reason }, outcome: 'failed' };
}
