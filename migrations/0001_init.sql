-- clipdex library schema, version 1. Forward-only: never edit this file once merged;
-- add 0002_<change>.sql instead.

-- Key/value facts about the library: model fingerprint, dimension, metric, vector sequence.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Folders the items live under. `path` is relative to the library directory when the root is
-- inside it (so the whole directory can move), otherwise absolute; see relocateRoot.
CREATE TABLE roots (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL UNIQUE
) STRICT;

-- AUTOINCREMENT: ids are HNSW labels, so a deleted row's id must never be handed out again.
CREATE TABLE items (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('image', 'text')),
  root_id      INTEGER REFERENCES roots(id),
  uri          TEXT NOT NULL,
  content_hash TEXT,
  size         INTEGER,
  mtime_ms     REAL,
  width        INTEGER,
  height       INTEGER,
  format       TEXT,
  text         TEXT,
  metadata     TEXT,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'failed', 'deleted')),
  error        TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

-- One live item per place. Deleted rows keep their place (so a file that comes back, or a
-- move, can revive them) without blocking a new file there. NULL roots compare as 0 because
-- UNIQUE treats NULLs as distinct.
CREATE UNIQUE INDEX items_place ON items (coalesce(root_id, 0), uri) WHERE status <> 'deleted';
CREATE INDEX items_place_any ON items (coalesce(root_id, 0), uri);
CREATE INDEX items_hash ON items (kind, content_hash);
CREATE INDEX items_status ON items (kind, status);

CREATE TABLE pairs (
  image_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  text_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  PRIMARY KEY (image_id, text_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX pairs_text ON pairs (text_id);

-- The source of truth for HNSW. One row per item holding its latest vector; every change
-- (new vector, deletion, revival) takes the next `seq`, so a graph saved at seq S is brought
-- up to date by replaying rows with seq > S. `live` = 0 is a tombstone: the vector is kept so
-- a moved or restored file needs no re-encoding.
CREATE TABLE vectors (
  item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
  kind    TEXT NOT NULL CHECK (kind IN ('image', 'text')),
  seq     INTEGER NOT NULL UNIQUE,
  live    INTEGER NOT NULL CHECK (live IN (0, 1)),
  vector  BLOB NOT NULL
) STRICT;
CREATE INDEX vectors_kind_live ON vectors (kind, live, item_id);

CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  state       TEXT NOT NULL CHECK (state IN ('running', 'finished', 'interrupted', 'failed')),
  stats       TEXT NOT NULL DEFAULT '{}'
) STRICT;

-- Full-text index over item text (captions, corpus lines), kept in step by triggers.
CREATE VIRTUAL TABLE items_fts USING fts5 (text, content = 'items', content_rowid = 'id');
CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.text IS NOT NULL BEGIN
  INSERT INTO items_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.text IS NOT NULL BEGIN
  INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF text ON items BEGIN
  INSERT INTO items_fts (items_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
  INSERT INTO items_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
END;
