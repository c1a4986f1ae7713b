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

export function findDuplicates(
  source: DuplicateSource,
  thresholds: DuplicateThresholds,
  tiers?: readonly DuplicateTier[],
): DuplicateReport {
  const byId = new Map<number, ImageSignature>();
  for (let after = 0; ;) {
    const page = source.imageSignatures(after, PAGE);
    for (const s of page) byId.set(s.id, s);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  const all = [...byId.values()];
  const words = new Map<number, [number, number]>();
  for (const s of all) if (s.phash) words.set(s.id, hashWords(s.phash));
  const groups: DuplicateGroup[] = [];
  const want = (tier: DuplicateTier): boolean => tiers === undefined || tiers.includes(tier);

  // Tier 1: same bytes.
  const byHash = new Map<string, number[]>();
  for (const s of all) {
    if (!s.contentHash) continue;
    const list = byHash.get(s.contentHash);
    if (list) list.push(s.id);
    else byHash.set(s.contentHash, [s.id]);
  }
  const rep1 = new Map<number, number>(); // every image → its exact group's kept item
  for (const ids of byHash.values()) {
    if (ids.length < 2) continue;
    const choice = chooseKeep(ids.map((id) => byId.get(id)!));
    for (const id of ids) rep1.set(id, choice.keep.id);
    if (want('exact')) {
      groups.push(
        group(
          'exact',
          choice,
          ids.map((id) => byId.get(id)!),
          () => 0,
        ),
      );
    }
  }
  const reps1 = all.filter((s) => (rep1.get(s.id) ?? s.id) === s.id);
  if (!want('near') && !want('similar')) return report(groups, all, words);

  // Candidate pairs of both looser tiers: close embeddings. Stored pairs (gathered when images
  // were written) where they cover these thresholds; one k-NN query per image otherwise.
  const edges: Array<{ a: number; b: number; cosine: number }> = [];
  const seen = new Set<string>();
  const nearCandidates: Array<{ a: number; b: number }> = [];
  const floor = Math.min(thresholds.nearMinCosine, thresholds.similarMinCosine);
  const consider = (x: number, y: number, cosine: number): void => {
    if (cosine < floor) return;
    const ra = rep1.get(x) ?? x;
    const rb = rep1.get(y) ?? y;
    if (ra === rb || !byId.has(ra) || !byId.has(rb)) return; // a removed item, a shot, or one group
    const [a, b] = ra < rb ? [ra, rb] : [rb, ra];
    const key = `${a},${b}`;
    if (seen.has(key)) return; // each unordered pair once, whichever side found it
    seen.add(key);
    if (cosine >= thresholds.similarMinCosine) edges.push({ a, b, cosine });
    if (cosine >= thresholds.nearMinCosine && hamming(words, a, b) <= thresholds.nearMaxDistance) {
      nearCandidates.push({ a, b });
    }
  };
  const stored = source.neighbourSettings?.();
  const useStored =
    stored !== undefined &&
    stored.floor <= floor &&
    stored.k >= thresholds.neighbours &&
    source.forEachNeighbourPair !== undefined &&
    source.neighboursDone !== undefined;
  let queries = 0;
  const done = new Set<number>();
  if (useStored) {
    for (let after = 0; ;) {
      const page = source.neighboursDone!(after, PAGE);
      for (const id of page) done.add(id);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
    source.forEachNeighbourPair!((p) => consider(p.a, p.b, p.cosine));
  }
  // Images not covered by stored pairs: query now (in memory; `linkUnlinked` stores them).
  const settings: NeighbourSettings = useStored
    ? stored
    : { floor, k: thresholds.neighbours, ef: DEFAULT_NEIGHBOUR_SETTINGS.ef };
  const isRep = new Set(reps1.map((s) => s.id));
  for (let after = 0; ;) {
    const page = source.imageVectors(after, PAGE);
    for (const { id, vector } of page) {
      // Without stored pairs one query per exact group suffices; with them, the ones not done.
      if (useStored ? done.has(id) : !isRep.has(id)) continue;
      const found = neighboursOf(source, id, vector, settings);
      queries += found.queries;
      for (const p of found.neighbours) consider(p.a, p.b, p.cosine);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }

  // Tier 2: the same picture, over exact representatives: candidates confirmed by fingerprints.
  const near = new UnionFind();
  const aspect = (id: number): number => {
    const s = byId.get(id)!;
    return s.width && s.height ? s.width / s.height : 1;
  };
  confirmPairs(
    source,
    nearCandidates,
    (fa, fb, a, b) => fingerprintMatch(fa, aspect(a), fb, aspect(b)) >= thresholds.nearMinMatch,
    (a, b) => near.union(a, b),
  );
  const rep2 = new Map<number, number>();
  for (const ids of near.groups(reps1.map((s) => s.id))) {
    const members = ids.map((id) => byId.get(id)!);
    const choice = chooseKeep(members);
    for (const id of ids) rep2.set(id, choice.keep.id);
    if (want('near')) {
      groups.push(group('near', choice, members, (m) => hamming(words, choice.keep.id, m.id)));
    }
  }

  // Tier 3: similar shots, over near representatives.
  if (want('similar')) {
    const similar = new UnionFind();
    // Shots of one scene share a palette where things moved; a recoloured look-alike does not.
    confirmPairs(
      source,
      edges,
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
  return report(groups, all, words, queries);
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
