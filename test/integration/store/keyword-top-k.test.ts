// The keyword leg's grouped top-k (src/store/keyword-top-k.ts) against FTS5's own OR query on a
// real library: same ids, same bm25 bits, same order, for queries that settle after a few groups
// and for those that fall back; words repeated within a field, weighted metadata fields, captions,
// deleted items, a word matching nothing, two words with one stem.
import { expect } from 'chai';
import path from 'node:path';
import { ftsPhrase, queryWords } from '../../../src/keyword/keyword-text.ts';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { bestOfAny } from '../../../src/store/keyword-top-k.ts';
import { KeywordRepository } from '../../../src/store/keyword.repository.ts';
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
});
