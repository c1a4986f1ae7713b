-- Issue 13: perceptual hashes for near-duplicate search, and stored zero-shot tags.
-- Forward-only: never edit this file once merged.

-- One 64-bit DCT perceptual hash (16 hex digits) per decoded image. Images that failed to
-- decode have none. Written with the item; copies of the same bytes share it.
CREATE TABLE image_phash (
  item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
  phash   TEXT NOT NULL CHECK (length(phash) = 16)
) STRICT;

-- The configured label set (`clipdex tag --labels`): each label's text vector, the mean of its
-- prompt templates' vectors, L2-normalised. Empty = tagging off.
CREATE TABLE tag_labels (
  label    TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  vector   BLOB NOT NULL
) STRICT;

-- Tags of an item: labels whose zero-shot probability reached the threshold. Dropping a label
-- drops its tags.
CREATE TABLE item_tags (
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  label   TEXT NOT NULL REFERENCES tag_labels(label) ON DELETE CASCADE,
  score   REAL NOT NULL,
  PRIMARY KEY (item_id, label)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_tags_label ON item_tags (label, item_id);
