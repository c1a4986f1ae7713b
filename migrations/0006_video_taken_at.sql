-- A video's capture date (issue 12): the indexer now keeps it in the video's metadata as
-- takenAt / takenAtMs / takenAtSource 'video' / timeZone, and copies takenAtMs onto its shots
-- (date filters run over shots). Videos indexed before that have only `creationTime` (the
-- container's creation_time as UTC ISO 8601): derive the same keys from it, leaving out the
-- placeholder dates muxers write when none is set (0 s since 1904 or 1970) and years outside
-- the range photo dates accept. Unchanged videos are not re-read, so without this they would
-- keep sorting and filtering by mtime.
UPDATE items
SET metadata = json_set(
  metadata,
  '$.takenAt', strftime('%Y-%m-%dT%H:%M:%S', json_extract(metadata, '$.creationTime'))
    || CASE WHEN substr(json_extract(metadata, '$.creationTime'), 21, 3) <> '000'
      THEN '.' || substr(json_extract(metadata, '$.creationTime'), 21, 3) ELSE '' END
    || '+00:00',
  '$.takenAtMs', CAST(round(unixepoch(json_extract(metadata, '$.creationTime'), 'subsec') * 1000) AS INTEGER),
  '$.takenAtSource', 'video',
  '$.timeZone', '+00:00'
)
WHERE kind = 'video'
  AND json_valid(metadata)
  AND json_type(metadata, '$.creationTime') = 'text'
  AND json_type(metadata, '$.takenAtMs') IS NULL
  AND unixepoch(json_extract(metadata, '$.creationTime')) IS NOT NULL
  AND substr(json_extract(metadata, '$.creationTime'), 1, 4) BETWEEN '1826' AND '2199'
  AND unixepoch(json_extract(metadata, '$.creationTime'), 'subsec') NOT IN (-2082844800, 0);

UPDATE items
SET metadata = json_object(
  'takenAtMs',
  (SELECT json_extract(v.metadata, '$.takenAtMs') FROM shots s JOIN items v ON v.id = s.video_id
    WHERE s.item_id = items.id)
)
WHERE kind = 'shot'
  AND metadata IS NULL
  AND (SELECT json_type(v.metadata, '$.takenAtMs') FROM shots s JOIN items v ON v.id = s.video_id
    WHERE s.item_id = items.id) = 'integer';
