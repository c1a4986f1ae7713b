/**
 * Finds duplicate groups over a library in three nested tiers:
 *   exact   — same SHA-256;
 *   near    — perceptual hashes within `nearMaxDistance` bits AND embeddings ≥ `nearMinCosine`
 *             AND (where both have one) fingerprints matching ≥ `nearMinMatch` under the best crop;
 *   similar — embeddings ≥ `similarMinCosine` (different shots; never called duplicates).
 * Each tier runs union-find over the previous tier's representatives (a group's kept item), so
 * no pair is reported twice. Candidate pairs for near and similar are close embeddings: the
 * library's stored neighbour pairs (gathered as images were written, neighbour-links.ts), plus
 * one k-NN query for each image not covered by them (all of them when the thresholds reach below
 * the stored floor).
 */
import type { ImageSignature, Library, NeighbourSettings } from '../store/library.types.ts';
import type { NeighbourPool } from './neighbour-pool.ts';
import type {
  DuplicateGroup,
  DuplicateMember,
  DuplicateReport,
  DuplicateThresholds,
  DuplicateTier,
} from './duplicate.types.ts';
import { chooseKeep } from './keep-choice.ts';
import { hashWords, popcount32 } from '../image/perceptual-hash.ts';
import { UnionFind } from './union-find.ts';
import { fingerprintMatch, paletteDistance } from '../image/fingerprint.ts';
import { DEFAULT_NEIGHBOUR_SETTINGS, neighboursOf } from './neighbour-links.ts';

export type DuplicateSource = Pick<
  Library,
  'imageSignatures' | 'imageVectors' | 'getVector' | 'search' | 'score' | 'fingerprints'
> &
  Partial<Pick<Library, 'neighbourSettings' | 'forEachNeighbourPair' | 'neighboursDone'>>;

const PAGE = 5000;

export interface FindDuplicatesOptions {
  /** Called with each candidate pair (exact-group representatives) at or above the lower cosine. */
  readonly onPair?: (a: number, b: number, cosine: number) => void;
}

/** Scans serially on the calling thread (see findDuplicatesParallel for the from-scratch pass). */
export function findDuplicates(
  source: DuplicateSource,
  thresholds: DuplicateThresholds,
  tiers?: readonly DuplicateTier[],
  options: FindDuplicatesOptions = {},
): DuplicateReport {
  const scan = new DuplicateScan(source, thresholds, tiers, options);
  let queries = 0;
  for (const batch of scan.pending()) {
    batch.ids.forEach((id, i) => {
      const found = neighboursOf(source, id, batch.vectors[i]!, scan.settings);
      queries += found.queries;
      for (const p of found.neighbours) scan.consider(p.a, p.b, p.cosine);
    });
  }
  return scan.finish(queries);
}

/**
 * The same scan with its k-NN queries on `pool`'s worker threads when there are enough of them
 * to pay for starting the workers (a library nothing was stored for, or thresholds below the
 * stored floor); the same groups as findDuplicates.
 */
export async function findDuplicatesParallel(
  source: DuplicateSource,
  thresholds: DuplicateThresholds,
  pool: NeighbourPool,
  tiers?: readonly DuplicateTier[],
  options: FindDuplicatesOptions = {},
): Promise<DuplicateReport> {
  const scan = new DuplicateScan(source, thresholds, tiers, options);
  if (scan.pendingEstimate < pool.minQueries) return findDuplicates(source, thresholds, tiers, options);
  const queries = await pool.query(scan.pending(), scan.settings, (entries) => {
    for (const e of entries) for (const p of e.neighbours) scan.consider(p.a, p.b, p.cosine);
  });
  return scan.finish(queries);
}

/**
 * One scan's state: signatures, exact groups, then candidate pairs as they are considered, then
 * the looser tiers in finish().
 */
class DuplicateScan {
  readonly settings: NeighbourSettings;
  /** Roughly how many k-NN queries pending() will ask for. */
  readonly pendingEstimate: number;
  private readonly byId = new Map<number, ImageSignature>();
  private readonly all: ImageSignature[];
  private readonly words = new Map<number, [number, number]>();
  private readonly groups: DuplicateGroup[] = [];
  private readonly rep1 = new Map<number, number>(); // every image → its exact group's kept item
  private readonly reps1: ImageSignature[];
  private readonly edges: Array<{ a: number; b: number; cosine: number }> = [];
  private readonly seen = new Set<string>();
  private readonly nearCandidates: Array<{ a: number; b: number }> = [];
  private readonly floor: number;
  private readonly looser: boolean;
  private readonly useStored: boolean;
  private readonly done = new Set<number>();
  private readonly isRep: Set<number>;

  constructor(
    private readonly source: DuplicateSource,
    private readonly thresholds: DuplicateThresholds,
    private readonly tiers: readonly DuplicateTier[] | undefined,
    private readonly options: FindDuplicatesOptions,
  ) {
    const { byId, words } = this;
    for (let after = 0; ;) {
      const page = source.imageSignatures(after, PAGE);
      for (const s of page) byId.set(s.id, s);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    this.all = [...byId.values()];
    for (const s of this.all) if (s.phash) words.set(s.id, hashWords(s.phash));

    // Tier 1: same bytes.
    const byHash = new Map<string, number[]>();
    for (const s of this.all) {
      if (!s.contentHash) continue;
      const list = byHash.get(s.contentHash);
      if (list) list.push(s.id);
      else byHash.set(s.contentHash, [s.id]);
    }
    for (const ids of byHash.values()) {
      if (ids.length < 2) continue;
      const choice = chooseKeep(ids.map((id) => byId.get(id)!));
      for (const id of ids) this.rep1.set(id, choice.keep.id);
      if (this.want('exact')) {
        this.groups.push(
          group(
            'exact',
            choice,
            ids.map((id) => byId.get(id)!),
            () => 0,
          ),
        );
      }
    }
    this.reps1 = this.all.filter((s) => (this.rep1.get(s.id) ?? s.id) === s.id);
    this.isRep = new Set(this.reps1.map((s) => s.id));
    this.looser = this.want('near') || this.want('similar');

    // Candidate pairs of both looser tiers: close embeddings. Stored pairs (gathered when images
    // were written) where they cover these thresholds; one k-NN query per image otherwise.
    this.floor = Math.min(thresholds.nearMinCosine, thresholds.similarMinCosine);
    const stored = source.neighbourSettings?.();
    this.useStored =
      stored !== undefined &&
      stored.floor <= this.floor &&
      stored.k >= thresholds.neighbours &&
      source.forEachNeighbourPair !== undefined &&
      source.neighboursDone !== undefined;
    this.settings = this.useStored
      ? stored!
      : { floor: this.floor, k: thresholds.neighbours, ef: DEFAULT_NEIGHBOUR_SETTINGS.ef };
    if (this.looser && this.useStored) {
      for (let after = 0; ;) {
        const page = source.neighboursDone!(after, PAGE);
        for (const id of page) this.done.add(id);
        if (page.length < PAGE) break;
        after = page[page.length - 1]!;
      }
      source.forEachNeighbourPair!((p) => this.consider(p.a, p.b, p.cosine));
    }
    this.pendingEstimate = !this.looser
      ? 0
      : this.useStored
        ? Math.max(0, this.all.length - this.done.size)
        : this.reps1.length;
  }

  /**
   * Images not covered by stored pairs, with their vectors, a page at a time (queried in memory:
   * `linkUnlinked` stores them). Without stored pairs one query per exact group suffices; with
   * them, the ones not done.
   */
  *pending(): Generator<{ ids: number[]; vectors: Float32Array[] }> {
    if (!this.looser) return;
    for (let after = 0; ;) {
      const page = this.source.imageVectors(after, PAGE);
      const batch = { ids: [] as number[], vectors: [] as Float32Array[] };
      for (const { id, vector } of page) {
        if (this.useStored ? this.done.has(id) : !this.isRep.has(id)) continue;
        batch.ids.push(id);
        batch.vectors.push(vector);
      }
      if (batch.ids.length > 0) yield batch;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
  }

  consider(x: number, y: number, cosine: number): void {
    const { thresholds, rep1, byId } = this;
    if (cosine < this.floor) return;
    const ra = rep1.get(x) ?? x;
    const rb = rep1.get(y) ?? y;
    if (ra === rb || !byId.has(ra) || !byId.has(rb)) return; // a removed item, a shot, or one group
    const [a, b] = ra < rb ? [ra, rb] : [rb, ra];
    const key = `${a},${b}`;
    if (this.seen.has(key)) return; // each unordered pair once, whichever side found it
    this.seen.add(key);
    this.options.onPair?.(a, b, cosine);
    if (cosine >= thresholds.similarMinCosine) this.edges.push({ a, b, cosine });
    if (cosine >= thresholds.nearMinCosine && hamming(this.words, a, b) <= thresholds.nearMaxDistance) {
      this.nearCandidates.push({ a, b });
    }
  }

  finish(queries: number): DuplicateReport {
    const { source, thresholds, byId, words, groups, reps1 } = this;
    if (!this.looser) return report(groups, this.all, words);

    // Tier 2: the same picture, over exact representatives: candidates confirmed by fingerprints.
    const near = new UnionFind();
    const aspect = (id: number): number => {
      const s = byId.get(id)!;
      return s.width && s.height ? s.width / s.height : 1;
    };
    confirmPairs(
      source,
      this.nearCandidates,
      (fa, fb, a, b) => fingerprintMatch(fa, aspect(a), fb, aspect(b)) >= thresholds.nearMinMatch,
      (a, b) => near.union(a, b),
    );
    const rep2 = new Map<number, number>();
    for (const ids of near.groups(reps1.map((s) => s.id))) {
      const members = ids.map((id) => byId.get(id)!);
      const choice = chooseKeep(members);
      for (const id of ids) rep2.set(id, choice.keep.id);
      if (this.want('near')) {
        groups.push(group('near', choice, members, (m) => hamming(words, choice.keep.id, m.id)));
      }
    }

    // Tier 3: similar shots, over near representatives.
    if (this.want('similar')) {
      const similar = new UnionFind();
      // Shots of one scene share a palette where things moved; a recoloured look-alike does not.
      confirmPairs(
        source,
        this.edges,
        (fa, fb) => paletteDistance(fa, fb) <= thresholds.similarMaxPalette,
        (x, y) => {
          const a = rep2.get(x) ?? x;
          const b = rep2.get(y) ?? y;
          if (a !== b) similar.union(a, b);
        },
      );
      const reps2 = reps1.filter((s) => (rep2.get(s.id) ?? s.id) === s.id).map((s) => s.id);
      for (const ids of similar.groups(reps2)) {
        const members = ids.map((id) => byId.get(id)!);
        const choice = chooseKeep(members);
        const keepVector = source.getVector(choice.keep.id);
        const cos = new Map(keepVector ? source.score(keepVector, ids).map((h) => [h.id, h.score]) : []);
        groups.push(group('similar', choice, members, (m) => round4(1 - (cos.get(m.id) ?? 0))));
      }
    }
    return report(groups, this.all, words, queries);
  }

  private want(tier: DuplicateTier): boolean {
    return this.tiers === undefined || this.tiers.includes(tier);
  }
}

const FINGERPRINT_PAGE = 500;

/**
 * Unions the pairs whose fingerprints pass `agree`; a pair where either side has no fingerprint
 * (indexed before fingerprints existed) is taken on hash and cosine alone. Fingerprints are read
 * a page of pairs at a time (1.5 KB each: not all held at once).
 */
function confirmPairs(
  source: Pick<DuplicateSource, 'fingerprints'>,
  pairs: readonly { a: number; b: number }[],
  agree: (fa: Uint8Array, fb: Uint8Array, a: number, b: number) => boolean,
  union: (a: number, b: number) => void,
): void {
  for (let i = 0; i < pairs.length; i += FINGERPRINT_PAGE) {
    const page = pairs.slice(i, i + FINGERPRINT_PAGE);
    const prints = source.fingerprints([...new Set(page.flatMap((p) => [p.a, p.b]))]);
    for (const { a, b } of page) {
      const fa = prints.get(a);
      const fb = prints.get(b);
      if (!fa || !fb || agree(fa, fb, a, b)) union(a, b);
    }
  }
}

function report(
  groups: DuplicateGroup[],
  all: readonly ImageSignature[],
  words: Map<number, unknown>,
  knnQueries = 0,
): DuplicateReport {
  const order: Record<DuplicateTier, number> = { exact: 0, near: 1, similar: 2 };
  groups.sort((a, b) => order[a.tier] - order[b.tier] || b.items.length - a.items.length || a.keep - b.keep);
  return {
    groups,
    images: all.length,
    withoutHash: all.length - words.size,
    withoutFingerprint: all.filter((s) => s.hasFingerprint === false).length,
    knnQueries,
  };
}

function group(
  tier: DuplicateTier,
  choice: ReturnType<typeof chooseKeep>,
  members: readonly ImageSignature[],
  distance: (m: ImageSignature) => number,
): DuplicateGroup {
  const member = (m: ImageSignature): DuplicateMember => ({
    id: m.id,
    uri: m.uri,
    width: m.width,
    height: m.height,
    size: m.size,
    distance: m.id === choice.keep.id ? 0 : distance(m),
  });
  const rest = members
    .filter((m) => m.id !== choice.keep.id)
    .map(member)
    .sort((a, b) => a.distance - b.distance || a.id - b.id);
  return { tier, keep: choice.keep.id, reason: choice.reason, items: [member(choice.keep), ...rest] };
}

function hamming(words: Map<number, [number, number]>, a: number, b: number): number {
  const wa = words.get(a);
  const wb = words.get(b);
  if (!wa || !wb) return 64 + 1; // no hash: never near
  return popcount32(wa[0] ^ wb[0]) + popcount32(wa[1] ^ wb[1]);
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
