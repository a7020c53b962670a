-- Work that must run in exactly one of the processes sharing this database (schedules, backbone
-- training): the holder renews its row before expires_at (unix ms); a dead holder's row expires
-- and another process takes it over.
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL
);
