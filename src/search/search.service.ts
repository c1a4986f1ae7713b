/**
 * Turns a query (words, a photo, an item, a raw vector, or a weighted mix of them) into ranked,
 * hydrated hits from one modality of a library.
 */
import { readFile } from 'node:fs/promises';
import type { ImageEncoder, TextEncoder } from '../encoders/encoder.ts';
import type { ImagePreprocessor, PreprocessOptions } from '../image/preprocess.types.ts';
import { collapseNear } from '../duplicates/collapse-near.ts';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../duplicates/duplicate-thresholds.ts';
import { EngineError, fromFsError } from '../errors.ts';
import type { ItmStage } from '../rerank/itm.types.ts';
import { checkRerankQuery, rerankWindow, type RerankSources } from '../rerank/rerank-window.ts';
import type {
  ItemFilter,
  KeywordHit,
  KeywordSearcher,
  KeywordSearchOptions,
  Library,
  Shot,
  VectorHit,
} from '../store/library.types.ts';
import { dot, l2Normalize, weightedSum } from '../vector/vector-math.ts';
import { takenAtMs } from '../metadata/photo-facts.ts';
import { decodeCursor, encodeCursor, type RerankWindowState } from './cursor.ts';
import { checkFusion, DEFAULT_FUSION, fuse, type Fusion, type LegHit } from './fusion.ts';
import { autoCutoff } from './score-cutoff.ts';
import {
  DEFAULT_PAGE_SIZE,
  CONVEX_FUSION_DEPTH,
  MAX_PAGE_SIZE,
  MAX_RERANK_K,
  MAX_RESULT_DEPTH,
  RRF_FUSION_DEPTH,
} from '../defaults.ts';
import {
  SEARCH_MODES,
  type QueryTerm,
  type SearchHit,
  type SearchMode,
  type SearchPage,
  type SearchRequest,
} from './search.types.ts';

/** How deep the image space is searched when shots collapse into videos. */
const MAX_SHOT_DEPTH = 10_000;

export interface SearchServiceDeps {
  readonly text: TextEncoder;
  readonly image: ImageEncoder;
  readonly preprocessor: ImagePreprocessor;
  readonly library: Library;
  /** Limits applied to query images (uploads). */
  readonly imageLimits?: PreprocessOptions;
  /** The model's image–text matching stage, when it has one (enables `rerank`). */
  readonly itm?: ItmStage;
  /** Model name for errors (default: the library's). */
  readonly modelName?: string;
  /** Hybrid fusion when a request names none (default RRF, k = 60). */
  readonly fusion?: Fusion;
  /**
   * The keyword leg off the main thread (the server: Library.openKeywordWorker), queried while the
   * text is encoded; without it the leg runs inline. The caller closes it.
   */
  readonly keywordWorker?: KeywordSearcher;
}

export class SearchService {
  constructor(private readonly deps: SearchServiceDeps) {}

  /** Embeds a (possibly weighted) query into one unit vector. */
  async embedTerms(terms: readonly QueryTerm[]): Promise<Float32Array> {
    if (terms.length === 0) throw new EngineError('INVALID_INPUT', 'a query needs at least one term');
    let positive = 0;
    for (const term of terms) {
      const weight = term.weight ?? 1;
      if (!Number.isFinite(weight)) {
        throw new EngineError('INVALID_INPUT', 'term weights must be finite numbers');
      }
      if (weight > 0) positive += weight;
    }
    if (positive <= 0) {
      throw new EngineError('INVALID_INPUT', 'a query needs at least one term with a positive weight');
    }
    const parts = await Promise.all(
      terms.map(async (term) => ({ vector: await this.embedTerm(term), weight: term.weight ?? 1 })),
    );
    // Terms of unit length: a sum this short relative to the weights has no direction left to search in.
    const sum = weightedSum(parts);
    const scale = parts.reduce((s, p) => s + Math.abs(p.weight), 0);
    if (Math.sqrt(dot(sum, sum)) <= 1e-4 * scale) {
      throw new EngineError(
        'INVALID_INPUT',
        'the weighted terms cancel each other out: the query has no direction to search in',
      );
    }
    return l2Normalize(sum);
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    const k = request.k ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(k) || k < 1 || k > MAX_PAGE_SIZE) {
      throw new EngineError('INVALID_INPUT', `k must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const offset = cursor?.offset ?? 0;
    const minScore = request.minScore;
    if (typeof minScore === 'number' && !(minScore >= -1 && minScore <= 1)) {
      throw new EngineError('INVALID_INPUT', 'minScore must be a number from -1 to 1, or "auto"');
    }
    const mode = request.mode ?? 'hybrid';
    if (!SEARCH_MODES.includes(mode)) {
      throw new EngineError('INVALID_INPUT', `mode must be one of ${SEARCH_MODES.join(', ')}`);
    }
    const fusion = request.fusion ?? this.deps.fusion ?? DEFAULT_FUSION;
    const fusionProblem = checkFusion(fusion);
    if (fusionProblem) throw new EngineError('INVALID_INPUT', fusionProblem);
    const fusionDepth = fusion.method === 'rrf' ? RRF_FUSION_DEPTH : CONVEX_FUSION_DEPTH;
    const words = keywordQuery(request.terms);
    if (mode === 'keyword' && words === '') {
      throw new EngineError('INVALID_INPUT', 'keyword mode needs words (a text term with a positive weight)');
    }
    const rerankK = this.rerankDepth(request);
    if (rerankK !== undefined && mode === 'keyword') {
      throw new EngineError('INVALID_INPUT', 're-ranking needs the vector leg; use mode hybrid or vector');
    }
    const excludeIds = [
      ...(request.excludeIds ?? []),
      ...request.terms.flatMap((t) => ('itemId' in t ? [t.itemId] : [])),
    ];

    // Sorting by date or cutting automatically needs the whole relevant set; plain score
    // order needs only as deep as this page (+1 to know whether another page follows). Fusion
    // looks a little deeper in each leg, so an item ranked well by one leg is not cut by the other.
    const wholeSet = request.sort === 'date' || request.sort === 'taken' || minScore === 'auto';
    // Collapsing near duplicates drops hits, so look deeper to still fill the page.
    const wanted = (offset + k + 1) * (request.collapse === 'near' ? 4 : 1);
    const pageDepth = Math.min(
      MAX_RESULT_DEPTH,
      wholeSet ? MAX_RESULT_DEPTH : Math.max(wanted, rerankK ?? 0),
    );
    if (offset >= MAX_RESULT_DEPTH) return { results: [], nextCursor: null };

    // Several shots of one video may match: look deeper, then keep each video's best shot.
    const filter = this.videoFilter(request);
    const filterOption = filter === undefined ? {} : { filter };
    // The keyword leg needs neither the query vector nor the graph: on the worker it runs while
    // this thread encodes the text and searches the graph; inline it runs first.
    const keywordOptions: KeywordSearchOptions = {
      k: Math.max(pageDepth, mode === 'keyword' ? 0 : fusionDepth),
      ...filterOption,
      excludeIds,
    };
    const { keywordWorker } = this.deps;
    let keywordLeg: KeywordHit[] = [];
    let pendingKeywords: Promise<KeywordHit[]> | undefined;
    if (mode !== 'vector' && words !== '' && this.deps.library.keywordSearch) {
      if (keywordWorker) pendingKeywords = keywordWorker.search(request.target, words, keywordOptions);
      else keywordLeg = this.deps.library.keywordSearch(request.target, words, keywordOptions);
    }
    // Settled even if encoding throws first, so a failed worker query is never an unhandled rejection.
    pendingKeywords?.catch(() => undefined);
    let vectorLeg: LegHit[] = [];
    const shotOf = new Map<number, Shot>();
    if (mode !== 'keyword') {
      const query = await this.embedTerms(request.terms);
      const videos =
        request.target === 'image' && (filter?.kinds === undefined || filter.kinds.includes('video'));
      const excluded = [...excludeIds, ...this.ownShots(excludeIds)];
      const deeper = (k: number): number => Math.min(MAX_SHOT_DEPTH, k * 4 + 20);
      const searchAt = (k: number): { hits: VectorHit[]; full: boolean } => {
        const raw = this.deps.library.search(request.target, query, {
          k,
          ...filterOption,
          excludeIds: excluded,
        });
        let hits = raw;
        if (typeof minScore === 'number') hits = hits.filter((h) => h.score >= minScore);
        if (minScore === 'auto') hits = hits.slice(0, autoCutoff(hits.map((h) => h.score)));
        return { hits, full: raw.length === k };
      };
      const legAt = (depth: number): LegHit[] => {
        shotOf.clear();
        // The automatic cut depends on how deep it looks: keep it at the depth videos need.
        let k = videos && minScore === 'auto' ? deeper(depth) : depth;
        let found = searchAt(k);
        let collapsed = videos ? this.collapseShots(found.hits, shotOf) : found.hits;
        // Shots of one video collapsed into one hit: read deeper until `depth` distinct items remain.
        while (
          videos &&
          found.full &&
          collapsed.length < depth &&
          k < MAX_SHOT_DEPTH &&
          minScore !== 'auto'
        ) {
          k = deeper(k);
          shotOf.clear();
          found = searchAt(k);
          collapsed = this.collapseShots(found.hits, shotOf);
        }
        return collapsed.slice(0, depth);
      };
      const fusedDepth = Math.min(MAX_RESULT_DEPTH, Math.max(pageDepth, fusionDepth));
      if (pendingKeywords) {
        // The worker is still ranking the words: search the graph meanwhile, as deep as fusion
        // needs. Words that match nothing leave the vector-only answer, searched again at the page's
        // depth (a deeper k can change the segments' search breadth, hence the first hits).
        vectorLeg = legAt(fusedDepth);
        keywordLeg = await pendingKeywords;
        if (keywordLeg.length === 0 && fusedDepth !== pageDepth) vectorLeg = legAt(pageDepth);
      } else {
        vectorLeg = legAt(keywordLeg.length > 0 ? fusedDepth : pageDepth);
      }
    }
    if (mode === 'keyword' && pendingKeywords) keywordLeg = await pendingKeywords;
    // Fuse by item (a video's best shot stands for the video), then read the items of the hits
    // this request returns: the page (or the re-rank window), or all when it sorts or collapses.
    const ranked = rank(mode, vectorLeg, keywordLeg, fusion).slice(0, MAX_RESULT_DEPTH);
    const needed =
      wholeSet || request.collapse === 'near' ? Infinity : Math.max(offset + k + 1, rerankK ?? 0);
    let hydrated = this.hydrate(ranked, shotOf, needed);
    if (request.sort === 'date') {
      hydrated = hydrated.sort((a, b) => (b.item.mtimeMs ?? 0) - (a.item.mtimeMs ?? 0) || b.score - a.score);
    } else if (request.sort === 'taken') {
      hydrated = hydrated.sort((a, b) => takenAtMs(b.item) - takenAtMs(a.item) || b.score - a.score);
    }
    if (request.collapse === 'near') {
      hydrated = collapseNear(hydrated, this.deps.library, DEFAULT_DUPLICATE_THRESHOLDS);
    }
    let window: RerankWindowState | undefined;
    let rerank: SearchPage['rerank'];
    if (rerankK !== undefined && this.deps.itm) {
      const size = Math.min(rerankK, hydrated.length);
      // The second stage mixes ITM with the first-stage cosine: hand it the vector leg's score.
      const head = hydrated.slice(0, size).map((h) => ({ ...h, score: h.scores?.vector ?? h.score }));
      const legs = new Map(head.map((h) => [h.item.id, h.scores]));
      const reranked = cursor?.rerank
        ? this.fromWindow(cursor.rerank, head)
        : await this.rerankHead(request, head);
      hydrated = [
        ...reranked.map((h) => ({ ...h, scores: { ...legs.get(h.item.id), ...h.scores } })),
        ...hydrated.slice(size),
      ];
      window = { ids: reranked.map((h) => h.item.id), itm: reranked.map((h) => h.scores?.itm ?? 0) };
      rerank = { stage: this.deps.itm.info.name, k: rerankK, reranked: size };
    }
    let page = hydrated.slice(offset, offset + k);
    if (request.target === 'image' && page.length > 0) {
      const tags = this.deps.library.tagsFor(page.map((h) => h.item.id));
      page = page.map((h) => ({ ...h, tags: tags.get(h.item.id) ?? [] }));
    }
    if (words !== '' && this.deps.library.keywordMatches) {
      const matches = this.deps.library.keywordMatches(
        words,
        page.filter((h) => typeof h.scores?.keyword === 'number').map((h) => h.item.id),
      );
      page = page.map((h) => ({ ...h, matched: matches.get(h.item.id) ?? [] }));
    } else {
      page = page.map((h) => ({ ...h, matched: [] }));
    }
    // A caption is easier to judge next to the picture it describes: hydrated here, for this page only.
    if (request.target === 'text') page = page.map((h) => this.withLinkedImage(h));
    const more = hydrated.length > offset + k && offset + k < MAX_RESULT_DEPTH;
    const nextCursor = more
      ? encodeCursor({ offset: offset + k, ...(window ? { rerank: window } : {}) })
      : null;
    return { results: page, nextCursor, ...(rerank ? { rerank } : {}) };
  }

  /** The re-ranking depth a request asks for (undefined: no second stage), checked up front. */
  private rerankDepth(request: SearchRequest): number | undefined {
    if (request.rerank === undefined) return undefined;
    const name = this.deps.modelName ?? this.deps.library.fingerprint.name;
    checkRerankQuery(request.terms, request.target, this.deps.itm, name);
    if (request.sort === 'date') {
      throw new EngineError(
        'INVALID_INPUT',
        're-ranking orders by match; it cannot be combined with sort=date',
      );
    }
    const k = request.rerank.k ?? this.deps.itm?.info.defaultK ?? 32;
    if (!Number.isInteger(k) || k < 1 || k > MAX_RERANK_K) {
      throw new EngineError('INVALID_INPUT', `rerank k must be an integer from 1 to ${MAX_RERANK_K}`);
    }
    return k;
  }

  private async rerankHead(request: SearchRequest, head: readonly SearchHit[]): Promise<SearchHit[]> {
    const library = this.deps.library;
    const stage = this.deps.itm!;
    const sources: RerankSources = {
      storedFeatures: (ids) => library.getItmFeatures(stage.info.id, ids),
      getItem: (id) => library.getItem(id),
      readImage: async (item) => {
        const file = library.resolvePath(item);
        if (file === null) {
          throw new EngineError('NOT_FOUND', `item ${item.id} has no file to read image states from`);
        }
        return readFile(file).catch((error: unknown) =>
          Promise.reject(fromFsError(error, `image states of item ${item.id}`)),
        );
      },
    };
    const reranked = await rerankWindow(stage, request.terms, request.target, head, sources);
    return reranked.map((h) => ({ item: h.item, score: h.score, scores: { vector: h.vector, itm: h.itm } }));
  }

  /**
   * A later page: the window's order and ITM logits come from the cursor; only ids that are still
   * in this (re-run) first-stage window count, so a cursor cannot smuggle in other items.
   */
  private fromWindow(state: RerankWindowState, head: readonly SearchHit[]): SearchHit[] {
    const stage = this.deps.itm!;
    const mix = stage.info.dualWeight * stage.info.dualLogitScale;
    const byId = new Map(head.map((h) => [h.item.id, h]));
    const out: SearchHit[] = [];
    state.ids.forEach((id, i) => {
      const hit = byId.get(id);
      if (!hit) return;
      byId.delete(id);
      const itm = state.itm[i]!;
      out.push({ item: hit.item, score: itm + mix * hit.score, scores: { vector: hit.score, itm } });
    });
    // Items that entered the window since the first page (newly indexed) follow, first-stage order.
    for (const hit of byId.values()) out.push({ ...hit, scores: { vector: hit.score } });
    return out;
  }

  /**
   * Vector hits → one hit per item in rank order: a shot becomes its video, once, at its best
   * shot (recorded in `shotOf`). Reads only the shots table, not the items.
   */
  private collapseShots(hits: readonly VectorHit[], shotOf: Map<number, Shot>): LegHit[] {
    const shots = this.deps.library.shotsByIds(hits.map((h) => h.id));
    if (shots.size === 0) return [...hits];
    const out: LegHit[] = [];
    for (const hit of hits) {
      const shot = shots.get(hit.id);
      if (!shot) {
        out.push(hit);
      } else if (!shotOf.has(shot.videoId)) {
        shotOf.set(shot.videoId, shot);
        out.push({ id: shot.videoId, score: hit.score });
      }
    }
    return out;
  }

  /**
   * The first `needed` ranked hits whose items are still indexed, with their items (read in
   * batches: an item deleted since the search is skipped and the next one takes its place).
   */
  private hydrate(
    ranked: readonly RankedHit[],
    shotOf: ReadonlyMap<number, Shot>,
    needed: number,
  ): SearchHit[] {
    const out: SearchHit[] = [];
    for (let from = 0; from < ranked.length && out.length < needed;) {
      const batch = ranked.slice(from, from + Math.min(ranked.length, needed - out.length + 8));
      from += batch.length;
      const items = new Map(this.deps.library.getItems(batch.map((h) => h.id)).map((i) => [i.id, i]));
      for (const hit of batch) {
        const item = items.get(hit.id);
        if (!item || item.status !== 'indexed') continue;
        const shot = shotOf.get(item.id);
        out.push({
          item,
          score: hit.score,
          scores: { vector: hit.vector, keyword: hit.keyword, fused: hit.fused },
          ...(shot ? { shot } : {}),
        });
      }
    }
    return out;
  }

  /** Re-ranking reads image files, so it covers photos only: a re-ranked search leaves videos out. */
  private videoFilter(request: SearchRequest): ItemFilter | undefined {
    if (request.rerank === undefined || request.target !== 'image') return request.filter;
    if (request.filter?.kinds?.includes('video')) {
      throw new EngineError('INVALID_INPUT', 're-ranking covers photos only; leave video out of kinds');
    }
    return { ...request.filter, kinds: ['image'] };
  }

  /** Shots of the videos among `ids` (a video searched from leaves its own shots out). */
  private ownShots(ids: readonly number[]): number[] {
    return this.deps.library
      .getItems(ids)
      .flatMap((item) => (item.kind === 'video' ? this.deps.library.shotsOf(item.id).map((s) => s.id) : []));
  }

  private withLinkedImage(hit: SearchHit): SearchHit {
    const image = this.deps.library
      .linkedItems(hit.item.id)
      .find((i) => i.kind === 'image' && i.status === 'indexed');
    return image ? { ...hit, linkedImage: image } : hit;
  }

  private async embedTerm(term: QueryTerm): Promise<Float32Array> {
    if ('text' in term) {
      if (typeof term.text !== 'string' || term.text.trim() === '') {
        throw new EngineError('INVALID_INPUT', 'text terms must be non-empty');
      }
      return this.deps.text.encodeOne(term.text);
    }
    if ('image' in term) {
      const prepared = await this.deps.preprocessor.preprocess(term.image, this.deps.imageLimits);
      return this.deps.image.encodeOne(prepared.pixels);
    }
    if ('itemId' in term) {
      const vector = this.deps.library.getVector(term.itemId) ?? this.videoVector(term.itemId);
      if (!vector) throw new EngineError('NOT_FOUND', `item ${term.itemId} does not exist or has no vector`);
      return vector;
    }
    if (term.vector.length !== this.deps.library.fingerprint.dim) {
      throw new EngineError(
        'DIMENSION_MISMATCH',
        `query vector has ${term.vector.length} dimensions; this library's model has ${this.deps.library.fingerprint.dim}`,
      );
    }
    const unit = l2Normalize(term.vector);
    if (!unit.some((x) => x !== 0)) {
      throw new EngineError('INVALID_INPUT', 'a query vector must not be all zeros');
    }
    return unit;
  }

  /** A video as a query: the mean of its shots' keyframe vectors. */
  private videoVector(id: number): Float32Array | undefined {
    const { library } = this.deps;
    if (library.getItems([id])[0]?.kind !== 'video') return undefined;
    const vectors = library.shotsOf(id).flatMap((s) => library.getVector(s.id) ?? []);
    if (vectors.length === 0) return undefined;
    return l2Normalize(weightedSum(vectors.map((vector) => ({ vector, weight: 1 }))));
  }
}

interface RankedHit {
  readonly id: number;
  readonly score: number;
  readonly vector: number | null;
  readonly keyword: number | null;
  readonly fused: number | null;
}

/**
 * One list from the legs. With one leg (vector or keyword mode, or hybrid when the words matched
 * nothing) the ranking and `score` are that leg's own, so hybrid costs nothing where words do not help.
 */
function rank(
  mode: SearchMode,
  vectorLeg: readonly LegHit[],
  keywordLeg: readonly LegHit[],
  fusion: Fusion,
): RankedHit[] {
  if (mode === 'keyword' || vectorLeg.length === 0) {
    return keywordLeg.map((h) => ({
      id: h.id,
      score: h.score,
      vector: null,
      keyword: h.score,
      fused: h.score,
    }));
  }
  if (keywordLeg.length === 0) {
    return vectorLeg.map((h) => ({
      id: h.id,
      score: h.score,
      vector: h.score,
      keyword: null,
      fused: h.score,
    }));
  }
  return fuse(vectorLeg, keywordLeg, fusion).map((h) => ({
    id: h.id,
    score: h.fused,
    vector: h.vector,
    keyword: h.keyword,
    fused: h.fused,
  }));
}

/** The words of a query for the keyword leg: its text terms with positive weight. */
function keywordQuery(terms: readonly QueryTerm[]): string {
  return terms
    .flatMap((t) => ('text' in t && typeof t.text === 'string' && (t.weight ?? 1) > 0 ? [t.text.trim()] : []))
    .filter(Boolean)
    .join(' ');
}
