/**
 * The keyword leg of a search (FTS5 BM25 over the keyword documents) as one function of the
 * repositories, so the library's own connection and the keyword worker's (keyword-worker.ts)
 * answer a query by the same code.
 */
import { EngineError } from '../errors.ts';
import { ftsPhrase, queryWords } from '../keyword/keyword-text.ts';
import { translateSqliteError } from './database.ts';
import { filterToSql, isEmptyFilter } from './item-filter.ts';
import type { KeywordRepository } from './keyword.repository.ts';
import type { ItemKind, KeywordHit, KeywordSearchOptions } from './library.types.ts';
import type { RootRepository } from './root.repository.ts';

export interface KeywordSources {
  readonly keywords?: KeywordRepository | undefined;
  readonly roots: RootRepository;
}

export function keywordSearch(
  sources: KeywordSources,
  kind: ItemKind,
  query: string,
  options: KeywordSearchOptions,
): KeywordHit[] {
  const { keywords } = sources;
  const phrases = queryWords(query).map(ftsPhrase);
  if (!keywords || phrases.length === 0) return [];
  if (!Number.isInteger(options.k) || options.k < 1 || options.k > 10_000) {
    throw new EngineError('INVALID_INPUT', 'k must be an integer from 1 to 10000');
  }
  const filter = options.filter ?? {};
  const where = filterToSql(kind, filter, sources.roots.list(), 'documents');
  const excluded = new Set(options.excludeIds ?? []);
  let rows;
  try {
    rows = keywords.search(phrases, where, options.k + excluded.size, !isEmptyFilter(filter));
  } catch (error) {
    throw translateSqliteError(error, 'keyword search');
  }
  return rows.filter((r) => !excluded.has(r.id)).slice(0, options.k);
}
