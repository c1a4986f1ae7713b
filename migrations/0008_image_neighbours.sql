-- Issue 13: duplicate groups kept up to date as files are added. Each image, when written, asks
-- the vector index once for its nearest images; the close ones are stored here as pairs, so
-- duplicate groups are union-find over stored pairs (no k-NN pass over the whole library), and
-- adding files only queries the new ones. Pairs, not groups, are stored: thresholds stay
-- adjustable above the stored floor, and a removed or changed image just loses its pairs.
-- Forward-only: never edit this file once merged.

-- Unordered pairs (a < b) of images whose embeddings reached the floor cosine (meta
-- 'image_neighbours'); either side's query may have found them.
CREATE TABLE image_neighbours (
  a      INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  b      INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  cosine REAL NOT NULL,
  PRIMARY KEY (a, b),
  CHECK (a < b)
) STRICT, WITHOUT ROWID;
CREATE INDEX image_neighbours_b ON image_neighbours (b);

-- Images whose own query ran, with the vector they have now (a new vector clears the row and
-- the image's pairs). Images without a row are queried on the next index run or duplicate scan.
CREATE TABLE image_neighbours_done (
  item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
) STRICT;
