/**
 * Chinese and Japanese keyword retrieval: the keyword index as built (Intl.Segmenter words, FTS5
 * unicode61) against FTS5's trigram tokenizer over the same fields left unsegmented, on the
 * labelled eval set (fixtures/hybrid-eval). Issue 12 asked which retrieves better.
 *
 *   npx tsx bench/cjk-tokenizer.ts [--queries fixtures/hybrid-eval/queries.jsonl] [--json]
 *
 * The images are indexed with the real indexer and bundled model (as `clipdex eval` does). Per
 * query it ranks the images by the keyword leg alone and by hybrid (the real vector leg, 100
 * deep, RRF k = 60 with each keyword leg, 100 deep), and prints R@1/R@5 per language and subset.
 *
 * Trigram queries, as one would run them: the query's whitespace-separated words (stopwords
 * dropped), each of ≥ 3 characters matched either as one phrase (its trigrams in a row: a
 * substring) or as any of its trigrams, OR-ed, BM25 with the same column weights; words of 1–2
 * characters cannot be trigram-matched, so they fall back to a substring scan (LIKE) whose
 * hits rank after the BM25 ones.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INDEX_DEFAULTS } from '../indexer/pipeline/index-request.ts';
import { runIndex } from '../indexer/pipeline/index-run.ts';
import { parseLabelledQueries, type LabelledQuery } from '../src/eval/hybrid-eval.ts';
import { isStopword } from '../src/keyword/keyword-text.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { fuse, type LegHit } from '../src/search/fusion.ts';
import { SearchService } from '../src/search/search.service.ts';
import { openDatabase } from '../src/store/database.ts';
import type { ItemRow } from '../src/store/item.repository.ts';
import { BM25_WEIGHTS, KEYWORD_FIELDS, keywordDocument } from '../src/store/keyword.repository.ts';
import type { Item } from '../src/store/library.types.ts';
import { openLibrary } from '../src/store/open-library.ts';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: 'fixtures/hybrid-eval/queries.jsonl' },
    json: { type: 'boolean', default: false },
  },
});
const DEPTH = 100;

type Variant = 'segmenter' | 'trigram-phrase' | 'trigram-any';
const VARIANTS: readonly Variant[] = ['segmenter', 'trigram-phrase', 'trigram-any'];

interface Row {
  readonly q: LabelledQuery;
  readonly keyword: Record<Variant, readonly string[]>;
  readonly hybrid: Record<Variant, readonly string[]>;
}

async function main(): Promise<void> {
  const queriesPath = path.resolve(values.queries);
  const queries = parseLabelledQueries(await readFile(queriesPath, 'utf8'));
  const model = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-cjk-'));
  const library = await openLibrary(dir, { fingerprint: model.fingerprint });
  const trigram = openDatabase(':memory:', { readOnly: false, create: true });
  try {
    await runIndex(
      {
        ...INDEX_DEFAULTS,
        folders: [path.join(path.dirname(queriesPath), 'images')],
        imageFiles: [],
        corpora: [],
        captions: [],
        filter: {},
      },
      library,
      model,
    );
    const items = [...library.iterateRoot(library.listRoots()[0]!.id)].filter((i) => i.status === 'indexed');
    const uriOf = new Map(items.map((i) => [i.id, i.uri]));

    // The same fields, unsegmented: NFKC and lower case only (the file name still split on -_. and camelCase).
    trigram.exec(
      `CREATE VIRTUAL TABLE tri USING fts5 (${KEYWORD_FIELDS.join(', ')}, tokenize = 'trigram remove_diacritics 1')`,
    );
    const insert = trigram.prepare(
      `INSERT INTO tri (rowid, ${KEYWORD_FIELDS.join(', ')}) VALUES (?, ${KEYWORD_FIELDS.map(() => '?').join(', ')})`,
    );
    const raw = (text: string): string[] =>
      text.trim() === '' ? [] : [text.normalize('NFKC').toLowerCase()];
    for (const item of items) {
      const doc = keywordDocument(asRow(item), [], raw);
      insert.run(item.id, ...KEYWORD_FIELDS.map((f) => doc[f]));
    }

    const search = new SearchService({
      text: model.text,
      image: model.image,
      preprocessor: model.preprocessor,
      library,
    });
    const rows: Row[] = [];
    for (const q of queries) {
      const vectorPage = await search.search({
        target: 'image',
        terms: [{ text: q.query }],
        k: DEPTH,
        mode: 'vector',
      });
      const vectorLeg: LegHit[] = vectorPage.results.map((h) => ({ id: h.item.id, score: h.score }));
      const legs: Record<Variant, LegHit[]> = {
        segmenter: library.keywordSearch('image', q.query, { k: DEPTH }),
        'trigram-phrase': trigramSearch(trigram, q.query, 'phrase'),
        'trigram-any': trigramSearch(trigram, q.query, 'any'),
      };
      const top = (hits: readonly { id: number }[]): string[] =>
        hits.slice(0, 5).map((h) => uriOf.get(h.id) ?? `#${h.id}`);
      const hybridOf = (leg: LegHit[]): string[] => top(leg.length === 0 ? vectorLeg : fuse(vectorLeg, leg));
      // The simulated fusion must be what the service does for the index as built.
      const real = await search.search({ target: 'image', terms: [{ text: q.query }], k: 5 });
      const simulated = hybridOf(legs.segmenter);
      if (real.results.map((h) => h.item.uri).join() !== simulated.join()) {
        throw new Error(`fusion simulation differs from the service for ${JSON.stringify(q.query)}`);
      }
      rows.push({
        q,
        keyword: Object.fromEntries(VARIANTS.map((v) => [v, top(legs[v])])) as Record<Variant, string[]>,
        hybrid: Object.fromEntries(VARIANTS.map((v) => [v, hybridOf(legs[v])])) as Record<Variant, string[]>,
      });
    }
    report(rows);
  } finally {
    trigram.close();
    await library.close();
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function asRow(item: Item): Pick<ItemRow, 'id' | 'kind' | 'uri' | 'text' | 'metadata'> {
  return {
    id: item.id,
    kind: item.kind,
    uri: item.uri,
    text: item.text,
    metadata: item.metadata === null ? null : JSON.stringify(item.metadata),
  };
}

function trigramSearch(db: ReturnType<typeof openDatabase>, query: string, how: 'phrase' | 'any'): LegHit[] {
  const all = [...new Set(query.normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean))];
  const kept = all.filter((w) => !isStopword(w));
  const tokens = kept.length > 0 ? kept : all;
  const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
  const long = tokens.filter((t) => [...t].length >= 3);
  const short = tokens.filter((t) => [...t].length < 3);
  const terms = long.flatMap((t) => {
    if (how === 'phrase') return [quote(t)];
    const chars = [...t];
    return chars.slice(0, -2).map((_, i) => quote(chars.slice(i, i + 3).join('')));
  });
  const out: LegHit[] = [];
  if (terms.length > 0) {
    const ranked = db
      .prepare(
        `SELECT rowid AS id, -bm25(tri, ${BM25_WEIGHTS.join(', ')}) AS score FROM tri WHERE tri MATCH ? ORDER BY bm25(tri, ${BM25_WEIGHTS.join(', ')}), rowid LIMIT ?`,
      )
      .all(terms.join(' OR '), DEPTH) as LegHit[];
    out.push(...ranked);
  }
  if (short.length > 0) {
    const seen = new Set(out.map((h) => h.id));
    const like = short.map(() => `(${KEYWORD_FIELDS.map((f) => `${f} LIKE ?`).join(' OR ')})`).join(' OR ');
    const params = short.flatMap((t) => KEYWORD_FIELDS.map(() => `%${t.replace(/[%_\\]/g, '\\$&')}%`));
    const ids = db
      .prepare(
        `SELECT rowid FROM tri WHERE ${like.replaceAll('LIKE ?', "LIKE ? ESCAPE '\\'")} ORDER BY rowid`,
      )
      .pluck()
      .all(...params) as number[];
    for (const id of ids) if (!seen.has(id)) out.push({ id, score: 0 });
  }
  return out.slice(0, DEPTH);
}

function report(rows: readonly Row[]): void {
  const groups: Array<[string, (r: Row) => boolean]> = [
    ['all', () => true],
    ...[...new Set(rows.map((r) => r.q.lang))]
      .sort()
      .map((l): [string, (r: Row) => boolean] => [l, (r) => r.q.lang === l]),
    ...(['pixels', 'words', 'both'] as const).map((s): [string, (r: Row) => boolean] => [
      s,
      (r) => r.q.subset === s,
    ]),
    ...['zh', 'ja'].map((l): [string, (r: Row) => boolean] => [
      `${l} words+both`,
      (r) => r.q.lang === l && r.q.subset !== 'pixels',
    ]),
  ];
  const recall = (subset: readonly Row[], pick: (r: Row) => readonly string[], at: number): number =>
    subset.length === 0
      ? 0
      : Math.round(
          (1000 *
            subset.filter((r) =>
              pick(r)
                .slice(0, at)
                .some((u) => r.q.relevant.includes(u)),
            ).length) /
            subset.length,
        ) / 10;
  const table = groups.map(([name, test]) => {
    const subset = rows.filter(test);
    return {
      group: name,
      n: subset.length,
      ...Object.fromEntries(
        VARIANTS.flatMap((v) => [
          [
            `keyword ${v}`,
            `${recall(subset, (r) => r.keyword[v], 1)}/${recall(subset, (r) => r.keyword[v], 5)}`,
          ],
          [
            `hybrid ${v}`,
            `${recall(subset, (r) => r.hybrid[v], 1)}/${recall(subset, (r) => r.hybrid[v], 5)}`,
          ],
        ]),
      ),
    };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ table, rows }, null, 1) + '\n');
    return;
  }
  console.log(`R@1/R@5 (%) over ${rows.length} queries; keyword leg alone, and hybrid (RRF k=60) with it`);
  const cols = ['group', 'n', ...VARIANTS.flatMap((v) => [`keyword ${v}`, `hybrid ${v}`])];
  console.log(cols.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(i === 1 ? 4 : 22))).join(''));
  for (const r of table) {
    console.log(
      cols
        .map((c, i) => {
          const v = String((r as Record<string, unknown>)[c]);
          return i === 0 ? v.padEnd(14) : v.padStart(i === 1 ? 4 : 22);
        })
        .join(''),
    );
  }
  console.log('\nCJK queries where the variants disagree (keyword leg top 1):');
  for (const r of rows) {
    if (r.q.lang === 'en') continue;
    const firsts = VARIANTS.map((v) => r.keyword[v][0] ?? '—');
    if (new Set(firsts).size === 1) continue;
    console.log(
      `  ${r.q.lang} ${r.q.subset.padEnd(6)} ${r.q.query.padEnd(10)} want ${r.q.relevant.join()}: ${VARIANTS.map((v, i) => `${v} ${firsts[i]}`).join('; ')}`,
    );
  }
}

await main();
