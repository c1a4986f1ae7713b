-- Issue 13: a small luma + chroma fingerprint per decoded image (src/image/fingerprint.ts), so a
-- near-duplicate candidate (close perceptual hash and embedding) is confirmed as the same picture
-- by a crop-tolerant comparison, which tells re-encodes and crops from burst shots apart.
-- Forward-only: never edit this file once merged.

-- 32×32 luma then 16×16 Cb and Cr bytes (1,536 bytes). Images that failed to decode have none;
-- images indexed before this migration get one from `clipdex duplicates --backfill`.
CREATE TABLE image_fingerprint (
  item_id     INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
  fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 1536)
) STRICT;
