// The keyword index's fast paths against FTS5's plain answers on a real library: the grouped
// top-k (src/store/keyword-top-k.ts) against the OR query (same ids, same bm25 bits, same order),
// for queries that settle after a few groups and for those that fall back; matched fields from
// the in-memory page index against highlighting in the index itself. Words repeated within a
// field, weighted metadata fields, captions, deleted items, a word matching nothing, two words
// with one stem.
import { expect } from 'chai';
import path from 'node:path';
import { ftsPhrase, queryWords } from '../../../src/keyword/keyword-text.ts';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { bestOfAny } from '../../../src/store/keyword-top-k.ts';
import { KEYWORD_FIELDS, KeywordRepository } from '../../../src/store/keyword.repository.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import type { ItemWrite } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

const SUBJECTS = ['beach', 'dog', 'sunset', 'castle', 'market', 'forest'];
const PLACES = ['paris', 'rome', 'kyoto', 'lima'];

/** mulberry32, so the library is the same every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('keyword top-k by groups (real FTS5)', function () {
  let dir: string;
  let library: LibraryStore;
  let db: Db;
  let keywords: KeywordRepository;

  before(async () => {
    dir = await tempDir();
    library = await openLibrary(path.join(dir, 'lib'), { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    const next = random(12);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const items: ItemWrite[] = [];
    for (let n = 1; n <= 1500; n++) {
      const subject = pick(SUBJECTS);
      // Some names repeat their subject, some are long: term frequencies and lengths vary.
      const name =
        next() < 0.1
          ? `${subject}-${subject}-${n}`
          : next() < 0.2
            ? `${subject}-at-dusk-long-walk-${n}`
            : `${subject}-${n}`;
      const photo =
        next() < 0.15
          ? {
              photo: {
                keywords: [pick(SUBJECTS), pick(PLACES)],
                title: next() < 0.5 ? `${pick(PLACES)} ${subject}` : null,
              },
            }
          : null;
      items.push(
        imageWrite(rootId, n, {
          uri: `${2010 + (n % 12)}/${pick(PLACES)}-trip/${name}.jpg`,
          metadata: photo,
        }),
      );
    }
    for (let n = 0; n < 200; n++) {
      items.push({
        kind: 'text',
        rootId: null,
        uri: `captions.txt#${n}`,
        text: `${pick(SUBJECTS)} in ${pick(PLACES)}`,
        status: 'indexed',
        vector: unitVector(5000 + n),
      });
    }
    const { itemIds } = library.write({ items });
    // Deleted items keep their documents (the items check drops them): best matches that fail it.
    library.write({ deletions: itemIds.filter((_, i) => i % 17 === 0) });
    db = openDatabase(path.join(dir, 'lib', 'clipdex.db'), { readOnly: true, create: false });
    keywords = new KeywordRepository(db);
  });
  after(async () => {
    keywords.close();
    db.close();
    await library.close();
    await removeDir(dir);
  });

  const queries = [
    'beach paris',
    'dog kyoto',
    'sunset rome lima',
    'castle market',
    'paris beach',
    'beach beaches',
    'forest zzyzx',
    'paris rome kyoto lima',
    'dusk beach',
    'walk dusk long castle',
    'beach dog sunset castle market forest',
  ];

  it('knows the row count FTS5 computes IDF with', () => {
    const count = db.prepare('SELECT count(*) FROM keyword_fts').pluck().get();
    expect(keywords.rowCount()).to.equal(count);
    expect(count).to.equal(1700);
  });

  it('returns exactly the OR query best matches (ids, bm25 bits, order) whenever it settles', () => {
    let settled = 0;
    let fellBack = 0;
    for (const query of queries) {
      const phrases = queryWords(query).map(ftsPhrase);
      for (const limit of [1, 3, 10, 40, 200]) {
        const grouped = db.transaction(() => bestOfAny(keywords.bm25, phrases, limit))();
        if (grouped === undefined) {
          fellBack++;
          continue;
        }
        settled++;
        expect(grouped, `${query} @${limit}`).to.deep.equal(
          keywords.bm25.ranked(phrases.join(' OR '), limit),
        );
      }
    }
    // Both paths ran: the grouped one is what the test is about.
    expect(settled).to.be.greaterThan(20);
    expect(fellBack).to.be.greaterThan(0);
  });

  it('the keyword leg (grouped first, then deeper, then the join) equals the join path', () => {
    for (const query of queries) {
      for (const kind of ['image', 'text'] as const) {
        for (const k of [1, 5, 30, 120]) {
          const fast = library.keywordSearch(kind, query, { k });
          const joined = library.keywordSearch(kind, query, { k, filter: { minSize: 0 } });
          if (kind === 'image') expect(fast, `${query} ${kind} k ${k}`).to.deep.equal(joined);
          else expect(fast.length, `${query} ${kind} k ${k}`).to.be.at.most(k);
        }
      }
    }
  });

  it('matched fields from the in-memory page index equal highlighting in the index itself', () => {
    const columns = KEYWORD_FIELDS.map(
      (_, i) => `instr(highlight(keyword_fts, ${i}, char(1), ''), char(1)) > 0 AS c${i}`,
    ).join(', ');
    let fields = 0;
    for (const query of [...queries, 'Beach', 'beaches at dusk']) {
      const phrases = queryWords(query).map(ftsPhrase);
      const match = phrases.join(' OR ');
      // A page: some of the best matches, some other documents, an id that does not exist.
      const ids = [
        ...keywords.bm25.ranked(match, 30).map((r) => r.id),
        ...Array.from({ length: 10 }, (_, i) => 1 + i * 97),
        999_999,
      ];
      const inPlace = db
        .prepare(
          `SELECT rowid AS id, ${columns} FROM keyword_fts WHERE keyword_fts MATCH ? AND rowid IN (${ids.map(() => '?').join(', ')})`,
        )
        .all(match, ...ids) as Array<Record<string, number>>;
      const expected = new Map(
        inPlace.map((row) => [row.id!, KEYWORD_FIELDS.filter((_, i) => row[`c${i}`] === 1)] as const),
      );
      const matched = keywords.matchedFields(match, ids);
      expect(matched, query).to.deep.equal(expected);
      for (const list of matched.values()) fields += list.length;
    }
    expect(fields).to.be.greaterThan(100);
    // The scratch rows were rolled back: the next page starts empty.
    expect(keywords.matchedFields('"beach"', [999_999]).size).to.equal(0);
  });
});
