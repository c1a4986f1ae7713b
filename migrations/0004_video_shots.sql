-- Issue 14: videos, and their shots as items of their own. Forward-only: never edit this file
-- once merged.
--
-- A video is an item of kind 'video' (no vector of its own); each of its shots is an item of
-- kind 'shot' whose keyframe vector lives in the image space, so its id is its HNSW label like
-- any image's. `items.kind` had CHECK (kind IN ('image', 'text')), which SQLite cannot alter:
-- the table is rebuilt (SQLite's documented 12-step procedure; the migrator runs migrations with
-- foreign keys off and checks them before committing, so the referencing tables keep their rows).
-- Ids are copied, the AUTOINCREMENT high-water mark is carried over (ids are HNSW labels and are
-- never reused), and the indexes and full-text triggers are recreated as 0001 made them.

CREATE TABLE items_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('image', 'text', 'video', 'shot')),
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

INSERT INTO items_new (id, kind, root_id, uri, content_hash, size, mtime_ms, width, height, format, text, metadata, status, error, created_at, updated_at)
  SELECT id, kind, root_id, uri, content_hash, size, mtime_ms, width, height, format, text, metadata, status, error, created_at, updated_at FROM items;

-- The insert set items_new's counter to max(id); the old counter may be higher (deleted rows).
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'items'), 0)) WHERE name = 'items_new';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'items_new', seq FROM sqlite_sequence WHERE name = 'items' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'items_new');

DROP TABLE items;
ALTER TABLE items_new RENAME TO items;

CREATE UNIQUE INDEX items_place ON items (coalesce(root_id, 0), uri) WHERE status <> 'deleted';
CREATE INDEX items_place_any ON items (coalesce(root_id, 0), uri);
CREATE INDEX items_hash ON items (kind, content_hash);
CREATE INDEX items_status ON items (kind, status);

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

-- One row per shot item: which video, where in it, and its keyframe as a small JPEG.
CREATE TABLE shots (
  item_id   INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
  video_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  start_s   REAL NOT NULL,
  end_s     REAL NOT NULL,
  thumbnail BLOB,
  UNIQUE (video_id, position)
) STRICT;
