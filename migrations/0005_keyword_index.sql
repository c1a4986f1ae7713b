-- Keyword index (issue 12): one row per item, rowid = items.id. The store keeps it in step from
-- JavaScript, because its words need more than a SQL tokenizer: file names split on -_. camelCase
-- and digits, and Chinese/Japanese segmented into words (Intl.Segmenter) before FTS5 sees them.
-- Photo metadata (capture date, GPS, camera, keywords, …) lives in items.metadata under "photo".
CREATE VIRTUAL TABLE keyword_fts USING fts5 (
  name, folders, captions, keywords, title, description, people, camera,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
-- No incremental merging on every commit: small segments are merged 16 at a time (FTS5's crisis
-- merge, amortised O(log n) per document), so an incremental run writes what it adds, not a
-- rewrite of the index; `clipdex library compact` optimises it into one segment.
INSERT INTO keyword_fts (keyword_fts, rank) VALUES ('automerge', 0);
