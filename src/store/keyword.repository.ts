/**
 * The keyword index (FTS5 table keyword_fts, rowid = item id): builds each item's document from
 * its file name, folders, linked captions and photo metadata, and answers BM25 queries. Documents
 * are rebuilt by the write batch for every item it touches, so they follow renames, moves, new
 * captions and changed metadata.
 */
import { fileNameWords, folderWords, words, type WordSplitter } from '../keyword/keyword-text.ts';
import type { PhotoMetadata } from '../metadata/photo-metadata.types.ts';
import { openMemoryDatabase, type Db, type Statement } from './database.ts';
import type { ItemRow } from './item.repository.ts';
import { bestOfAny, type Bm25Source, type RankedRow } from './keyword-top-k.ts';

/** Document columns, in table order; also the names hits report in `matched`. */
export const KEYWORD_FIELDS = [
  'name',
  'folders',
  'captions',
  'keywords',
  'title',
  'description',
  'people',
  'camera',
] as const;
export type KeywordField = (typeof KEYWORD_FIELDS)[number];
/** BM25 column weights: what a person deliberately wrote counts more than a folder name. */
export const BM25_WEIGHTS = [3, 1, 1.5, 4, 3, 1.5, 4, 1];
const BUILT_KEY = 'keyword_index';

export interface KeywordRow {
  readonly id: number;
  /** Positive; larger is better (negated FTS5 bm25). */
  readonly score: number;
}

export class KeywordRepository {
  private readonly remove: Statement<[number]>;
  private readonly ranked: Statement<[string, number], RankedRow>;
  private readonly matching: Statement<[string], number>;
  private readonly averages: Statement<[], Buffer | undefined>;
  /** An in-memory copy of keyword_fts's schema for a page's documents (matchedFields); opened on first use. */
  private page: PageIndex | null | undefined;
  /** The index as keyword-top-k.ts reads it (bm25 with BM25_WEIGHTS). */
  readonly bm25: Bm25Source;
  private readonly passing = new Map<string, Statement<unknown[], number>>();
  private readonly insert: Statement<Record<string, string | number>>;
  private readonly captionsOf: Statement<[number], { text: string }>;
  private readonly imagesOf: Statement<[number], { image_id: number }>;
  private readonly itemRow: Statement<
    [number],
    Pick<ItemRow, 'id' | 'kind' | 'uri' | 'text' | 'metadata' | 'status'>
  >;

  constructor(private readonly db: Db) {
    this.remove = db.prepare('DELETE FROM keyword_fts WHERE rowid = ?');
    this.ranked = db.prepare(
      `SELECT rowid AS id, bm25(keyword_fts, ${BM25_WEIGHTS.join(', ')}) AS bm25 FROM keyword_fts
       WHERE keyword_fts MATCH ? ORDER BY bm25, rowid LIMIT ?`,
    );
    this.matching = db
      .prepare('SELECT count(*) FROM keyword_fts WHERE keyword_fts MATCH ?')
      .pluck() as Statement<[string], number>;
    // FTS5's averages record (rowid 1 of its data table): a varint row count, then token totals.
    this.averages = db.prepare('SELECT block FROM keyword_fts_data WHERE id = 1').pluck() as Statement<
      [],
      Buffer | undefined
    >;
    this.bm25 = {
      ranked: (expression, limit) => this.ranked.all(expression, limit),
      count: (expression) => this.matching.get(expression) ?? 0,
      rowCount: () => this.rowCount(),
    };
    this.insert = db.prepare(
      `INSERT INTO keyword_fts (rowid, ${KEYWORD_FIELDS.join(', ')}) VALUES (@id, ${KEYWORD_FIELDS.map((f) => `@${f}`).join(', ')})`,
    );
    this.captionsOf = db.prepare(
      `SELECT items.text AS text FROM pairs JOIN items ON items.id = pairs.text_id WHERE pairs.image_id = ? AND items.status <> 'deleted' AND items.text IS NOT NULL ORDER BY items.id LIMIT 50`,
    );
    this.imagesOf = db.prepare('SELECT image_id FROM pairs WHERE text_id = ?');
    this.itemRow = db.prepare('SELECT id, kind, uri, text, metadata, status FROM items WHERE id = ?');
  }

  /** Images whose documents include this text (its caption links). */
  imagesCaptionedBy(textId: number): number[] {
    return this.imagesOf.all(textId).map((r) => r.image_id);
  }

  /** Rebuilds the documents of these items (inside the caller's transaction). */
  refresh(ids: Iterable<number>): void {
    for (const id of ids) {
      this.remove.run(id);
      const row = this.itemRow.get(id);
      if (!row || row.status === 'deleted') continue;
      const captions = row.kind === 'text' ? [] : this.captionsOf.all(row.id).map((r) => r.text);
      this.insert.run({ id, ...keywordDocument(row, captions) });
    }
  }

  /**
   * Best BM25 matches of any of `phrases` (FTS5 phrases, quoted) among items passing `where` (SQL
   * over `items`), best first, equal scores by id. FTS5 scores every match of an expression
   * whatever the LIMIT, so the cost is in how many matches are scored and what else each pays.
   * Without a narrowing filter (`narrow` false: `where` only keeps the space's kinds and indexed
   * items) FTS5 ranks alone and only the best few are checked against `items`: first the best
   * `limit`, which several words can find without scoring every match (keyword-top-k.ts), then,
   * if some fail `where`, the best `2 × limit + 16` by the OR query. If too many of those fail,
   * or a filter narrows, every match is joined to `items` by primary key before ranking (about
   * 3× the cost at 100k items with ~7k matches).
   */
  search(
    phrases: readonly string[],
    where: { sql: string; params: (string | number)[] },
    limit: number,
    narrow = true,
  ): KeywordRow[] {
    const match = phrases.join(' OR ');
    if (!narrow) {
      const fetch = limit * 2 + 16;
      // One read transaction: the groups' bounds and queries see one index.
      const grouped = this.db.transaction(() => bestOfAny(this.bm25, phrases, limit))();
      let best = grouped ?? this.ranked.all(match, fetch);
      let read = grouped ? limit : fetch;
      for (const depth of [limit, fetch]) {
        if (depth > read) {
          best = this.ranked.all(match, fetch);
          read = fetch;
        }
        const head = best.slice(0, depth);
        if (head.length === 0) return [];
        const passing = new Set(
          this.passingStmt(where.sql).all(JSON.stringify(head.map((r) => r.id)), ...where.params),
        );
        const kept = head.filter((r) => passing.has(r.id));
        if (kept.length >= limit || head.length < depth) {
          return kept.slice(0, limit).map((r) => ({ id: r.id, score: -r.bm25 }));
        }
      }
    }
    const sql = `SELECT keyword_fts.rowid AS id, -bm25(keyword_fts, ${BM25_WEIGHTS.join(', ')}) AS score
      FROM keyword_fts JOIN items ON items.id = keyword_fts.rowid
      WHERE keyword_fts MATCH ? AND ${where.sql} ORDER BY bm25(keyword_fts, ${BM25_WEIGHTS.join(', ')}), keyword_fts.rowid LIMIT ?`;
    return this.db.prepare(sql).all(match, ...where.params, limit) as KeywordRow[];
  }

  /** Documents in the index, as FTS5 counts them for its IDF (its averages record; 0 when empty). */
  rowCount(): number {
    const block = this.averages.get();
    return block ? readVarint(block, 0) : 0;
  }

  /** `SELECT id` of the listed ids (a JSON array) passing a WHERE over `items`; a few distinct WHEREs recur. */
  private passingStmt(whereSql: string): Statement<unknown[], number> {
    let stmt = this.passing.get(whereSql);
    if (!stmt) {
      stmt = this.db
        .prepare(`SELECT id FROM items WHERE id IN (SELECT value FROM json_each(?)) AND ${whereSql}`)
        .pluck() as Statement<unknown[], number>;
      if (this.passing.size >= 32) this.passing.clear();
      this.passing.set(whereSql, stmt);
    }
    return stmt;
  }

  /**
   * Which fields of each item the expression matched (FTS5 highlight markers), for explaining hits.
   * The page's documents (FTS5's stored text) are copied into an in-memory FTS5 table made by keyword_fts's own CREATE
   * (same columns, same tokenizer), highlighted there, and rolled back: the same instances as in
   * the library's index, at a cost set by the page rather than by how many documents hold the
   * words (highlighting in the index itself seeks every word's doclist once per hit: ~1 ms for a
   * page of 25 and two common words at 100k items, against ~0.25 ms here).
   */
  matchedFields(match: string, ids: readonly number[]): Map<number, KeywordField[]> {
    const out = new Map<number, KeywordField[]>();
    if (ids.length === 0) return out;
    const page = this.pageIndex();
    let rows: Array<Record<string, number>>;
    if (page) {
      const documents = page.documents.all(JSON.stringify(ids));
      page.begin.run();
      try {
        for (const document of documents) page.insert.run(document);
        rows = page.highlighted.all(match);
      } finally {
        page.rollback.run();
      }
    } else {
      rows = this.db
        .prepare(
          `SELECT rowid AS id, ${highlightColumns('keyword_fts')} FROM keyword_fts WHERE keyword_fts MATCH ? AND rowid IN (${ids.map(() => '?').join(', ')})`,
        )
        .all(match, ...ids) as Array<Record<string, number>>;
    }
    for (const row of rows) {
      out.set(
        row.id!,
        KEYWORD_FIELDS.filter((_, i) => row[`c${i}`] === 1),
      );
    }
    return out;
  }

  /** Closes the in-memory page index (the library's connection is its owner's to close). */
  close(): void {
    if (this.page) this.page.db.close();
    this.page = null;
  }

  private pageIndex(): PageIndex | null {
    if (this.page !== undefined) return this.page;
    const create = this.db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keyword_fts'")
      .pluck()
      .get() as string | undefined;
    const own = create?.replace(/^(CREATE VIRTUAL TABLE\s+)"?keyword_fts"?(\s)/i, '$1page_fts$2');
    // FTS5 keeps a table's text in keyword_fts_content (id, c0…c7, in column order): read by primary
    // key it costs a fifth of asking keyword_fts for the same rows (one xFilter per rowid).
    const stored = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyword_fts_content'")
      .get();
    // Unknown schema (or no stored text): highlight in place.
    if (own === undefined || own === create || stored === undefined) return (this.page = null);
    const documents = this.db.prepare<[string], Record<string, string | number>>(
      `SELECT id, ${KEYWORD_FIELDS.map((f, i) => `c${i} AS ${f}`).join(', ')} FROM keyword_fts_content WHERE id IN (SELECT value FROM json_each(?))`,
    );
    const db = openMemoryDatabase();
    db.exec(own);
    this.page = {
      db,
      documents,
      begin: db.prepare('BEGIN'),
      rollback: db.prepare('ROLLBACK'),
      insert: db.prepare(
        `INSERT INTO page_fts (rowid, ${KEYWORD_FIELDS.join(', ')}) VALUES (@id, ${KEYWORD_FIELDS.map((f) => `@${f}`).join(', ')})`,
      ),
      highlighted: db.prepare<[string], Record<string, number>>(
        `SELECT rowid AS id, ${highlightColumns('page_fts')} FROM page_fts WHERE page_fts MATCH ?`,
      ),
    };
    return this.page;
  }

  /** Merges the index into one segment (library compact): fastest queries, smallest file. */
  optimize(): void {
    this.db.prepare("INSERT INTO keyword_fts (keyword_fts) VALUES ('optimize')").run();
  }

  /** Builds every document once for a library made before the index existed. */
  ensureBuilt(): void {
    const done = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(BUILT_KEY);
    if (done === '1') return;
    this.db.transaction(() => {
      const ids = this.db.prepare("SELECT id FROM items WHERE status <> 'deleted'").pluck().all() as number[];
      this.refresh(ids);
      this.db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(BUILT_KEY, '1');
    })();
  }
}

interface PageIndex {
  readonly db: Db;
  /** The stored text of listed ids (a JSON array), one field per column, from the library's connection. */
  readonly documents: Statement<[string], Record<string, string | number>>;
  readonly begin: Statement<[]>;
  readonly rollback: Statement<[]>;
  readonly insert: Statement<Record<string, string | number>>;
  readonly highlighted: Statement<[string], Record<string, number>>;
}

/** 1 where a field holds an instance of the expression (FTS5 marks it), per field c0…c7. */
function highlightColumns(table: string): string {
  return KEYWORD_FIELDS.map(
    (_, i) => `instr(highlight(${table}, ${i}, char(1), ''), char(1)) > 0 AS c${i}`,
  ).join(', ');
}

/**
 * An item's keyword document, one text per field: a text item's words are its captions; an
 * image's or video's come from its file name, folders, linked captions and photo metadata.
 */
export function keywordDocument(
  row: Pick<ItemRow, 'id' | 'kind' | 'uri' | 'text' | 'metadata'>,
  captions: readonly string[],
  split: WordSplitter = words,
): Record<KeywordField, string> {
  const join = (list: readonly string[]): string => list.join(' ');
  if (row.kind === 'text') {
    return {
      name: '',
      folders: '',
      captions: join(split(row.text ?? '')),
      keywords: '',
      title: '',
      description: '',
      people: '',
      camera: '',
    };
  }
  const photo = photoOf(row.metadata);
  const fileName = row.uri.slice(row.uri.lastIndexOf('/') + 1);
  const pngText = photo ? Object.values(photo.text ?? {}) : [];
  return {
    name: join(fileNameWords(fileName, split)),
    folders: join(folderWords(row.uri, split)),
    captions: join(captions.flatMap(split)),
    keywords: join((photo?.keywords ?? []).flatMap(split)),
    title: join(split(photo?.title ?? '')),
    description: join([photo?.description ?? '', ...pngText].flatMap(split)),
    people: join((photo?.people ?? []).flatMap(split)),
    camera: join(split([photo?.camera ?? '', photo?.lens ?? ''].join(' '))),
  };
}

export function photoOf(metadata: string | null): PhotoMetadata | undefined {
  if (metadata === null) return undefined;
  try {
    const parsed = JSON.parse(metadata) as { photo?: PhotoMetadata };
    return parsed.photo;
  } catch {
    return undefined;
  }
}

/**
 * An SQLite/FTS5 varint at `offset`: big-endian 7-bit groups, high bit set on all but the last,
 * a ninth byte contributing all 8 bits. Row counts stay far below 2^53.
 */
export function readVarint(bytes: Uint8Array, offset: number): number {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) break;
    if (i === 8) return value * 256 + byte;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return value;
  }
  return value;
}
