-- Image states for the second search stage (image–text matching re-ranking), stored at index
-- time so re-ranking never decodes originals: one row per image item and ITM stage (the stage's
-- id hashes its graphs, so states of a replaced stage are simply not found). float16 BLOBs, a few KB.
CREATE TABLE itm_features (
  item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  stage_id TEXT NOT NULL,
  features BLOB NOT NULL,
  PRIMARY KEY (item_id, stage_id)
) STRICT;
