/**
 * Finds duplicate groups over a library in three nested tiers:
 *   exact   — same SHA-256;
 *   near    — perceptual hashes within `nearMaxDistance` bits AND embeddings ≥ `nearMinCosine`;
 *   similar — embeddings ≥ `similarMinCosine` (different shots; never called duplicates).
 * Each tier runs union-find over the previous tier's representatives (a group's kept item), so
 * no pair is reported twice. Candidate pairs for near and similar both come from one k-NN query
 * per representative through the library's vector index, so the scan costs one search per image.
 */
import type { ImageSignature, Library } from '../store/library.types.ts';
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

export type DuplicateSource = Pick<
  Library,
  'imageSignatures' | 'imageVectors' | 'getVector' | 'search' | 'score'
>;

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

  // One k-NN query per representative gives the candidate pairs of both looser tiers.
  const copies = new Map<number, number>();
  for (const id of rep1.values()) copies.set(id, (copies.get(id) ?? 0) + 1);
  const edges: Array<{ a: number; b: number; cosine: number }> = [];
  const near = new UnionFind();
  const floor = Math.min(thresholds.nearMinCosine, thresholds.similarMinCosine);
  const isRep = new Set(reps1.map((s) => s.id));
  // Vectors stream in id order, a page at a time; HNSW breadth just above k (near copies are
  // each other's nearest neighbours, so a wide beam buys nothing here).
  for (let after = 0; ;) {
    const page = source.imageVectors(after, PAGE);
    for (const { id, vector } of page) {
      if (!isRep.has(id)) continue;
      const k = thresholds.neighbours + (copies.get(id) ?? 1);
      for (const hit of source.search('image', vector, { k, ef: Math.max(k, 32) })) {
        if (hit.score < floor) break;
        const other = rep1.get(hit.id) ?? hit.id;
        if (other <= id || !byId.has(other)) continue; // each unordered pair once
        if (hit.score >= thresholds.similarMinCosine) edges.push({ a: id, b: other, cosine: hit.score });
        if (
          hit.score >= thresholds.nearMinCosine &&
          hamming(words, id, other) <= thresholds.nearMaxDistance
        ) {
          near.union(id, other);
        }
      }
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }

  // Tier 2: the same picture, over exact representatives.
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
    for (const e of edges) {
      const a = rep2.get(e.a) ?? e.a;
      const b = rep2.get(e.b) ?? e.b;
      if (a !== b) similar.union(a, b);
    }
    const reps2 = reps1.filter((s) => (rep2.get(s.id) ?? s.id) === s.id).map((s) => s.id);
    for (const ids of similar.groups(reps2)) {
      const members = ids.map((id) => byId.get(id)!);
      const choice = chooseKeep(members);
      const keepVector = source.getVector(choice.keep.id);
      const cos = new Map(keepVector ? source.score(keepVector, ids).map((h) => [h.id, h.score]) : []);
      groups.push(group('similar', choice, members, (m) => round4(1 - (cos.get(m.id) ?? 0))));
    }
  }
  return report(groups, all, words);
}

function report(
  groups: DuplicateGroup[],
  all: readonly ImageSignature[],
  words: Map<number, unknown>,
): DuplicateReport {
  const order: Record<DuplicateTier, number> = { exact: 0, near: 1, similar: 2 };
  groups.sort((a, b) => order[a.tier] - order[b.tier] || b.items.length - a.items.length || a.keep - b.keep);
  return { groups, images: all.length, withoutHash: all.length - words.size };
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
