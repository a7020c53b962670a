-- The label in force for each face: the newest human label if any, else the newest prediction.
CREATE VIEW current_labels AS
SELECT l.* FROM labels l
WHERE l.id = (
  SELECT l2.id FROM labels l2
  WHERE l2.face_id = l.face_id
  ORDER BY (l2.source != 'predicted') DESC, l2.id DESC
  LIMIT 1
);
