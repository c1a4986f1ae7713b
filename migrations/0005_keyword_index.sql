-- Keyword index (issue 12): one row per item, rowid = items.id. The store keeps it in step from
-- JavaScript, because its words need more than a SQL tokenizer: file names split on -_. camelCase
-- and digits, and Chinese/Japanese segmented into words (Intl.Segmenter) before FTS5 sees them.
-- Photo metadata (capture date, GPS, camera, keywords, …) lives in items.metadata under "photo".
CREATE VIRTUAL TABLE keyword_fts USING fts5 (
  name, folders, captions, keywords, title, description, people, camera,
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Capture date for `sort: taken` and takenAfter/takenBefore, falling back to the file's mtime.
CREATE INDEX items_taken ON items (kind, status, coalesce(json_extract(metadata, '$.photo.takenAtMs'), mtime_ms));
