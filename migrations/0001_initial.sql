-- Everything is scoped by guild_id ('local' for the CLI) except model versions, which one
-- deployment shares: a backbone serves every guild, each guild has its own heads.

CREATE TABLE characters (
  id          INTEGER PRIMARY KEY,
  guild_id    TEXT NOT NULL,
  name        TEXT NOT NULL,            -- normalised key: lower-case, single spaces
  display_name TEXT NOT NULL,
  created_by  TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (guild_id, name)
);

CREATE TABLE images (
  id          INTEGER PRIMARY KEY,
  guild_id    TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  source_kind TEXT NOT NULL CHECK (source_kind IN ('file', 'discord', 'teach', 'import')),
  source_path TEXT,                     -- original file path (CLI) or attachment name
  channel_id  TEXT,
  message_id  TEXT,
  url         TEXT,
  author_id   TEXT,
  stored_path TEXT,                     -- our own copy under the data dir, when kept
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX images_guild_sha ON images (guild_id, sha256);
CREATE INDEX images_message ON images (guild_id, channel_id, message_id);

CREATE TABLE faces (
  id          INTEGER PRIMARY KEY,
  guild_id    TEXT NOT NULL,
  image_id    INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
  detector    TEXT NOT NULL,
  detector_settings TEXT NOT NULL DEFAULT '{}',
  score       REAL NOT NULL,
  crop_path   TEXT NOT NULL,            -- kept so a new backbone can re-embed every face
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX faces_image ON faces (image_id);
CREATE INDEX faces_guild ON faces (guild_id);

CREATE TABLE model_versions (
  id          TEXT PRIMARY KEY,         -- e.g. mobilenetv2_pool@83530ad8
  kind        TEXT NOT NULL CHECK (kind IN ('embedder')),
  path        TEXT NOT NULL,
  spec_json   TEXT NOT NULL,
  parent_id   TEXT REFERENCES model_versions (id),
  metrics_json TEXT,
  active      INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (kind) WHERE active = 1;

CREATE TABLE embeddings (
  face_id       INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
  model_version TEXT NOT NULL REFERENCES model_versions (id),
  vector        BLOB NOT NULL,          -- float32 little-endian, L2-normalised
  PRIMARY KEY (face_id, model_version)
);

CREATE TABLE head_versions (
  id            INTEGER PRIMARY KEY,
  guild_id      TEXT NOT NULL,
  model_version TEXT NOT NULL REFERENCES model_versions (id),
  head_json     TEXT NOT NULL,
  characters    INTEGER NOT NULL,
  trained_on    INTEGER NOT NULL,
  fit_ms        REAL NOT NULL,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX head_versions_guild ON head_versions (guild_id, model_version, id);

-- Every label ever given, newest wins. Human labels (taught / corrected / confirmed /
-- not_character) always win over predictions.
CREATE TABLE labels (
  id            INTEGER PRIMARY KEY,
  guild_id      TEXT NOT NULL,
  face_id       INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
  character_id  INTEGER REFERENCES characters (id) ON DELETE CASCADE, -- NULL: unknown or not a character
  source        TEXT NOT NULL CHECK (source IN ('taught', 'corrected', 'confirmed', 'predicted', 'not_character')),
  confidence    REAL,
  head_version  INTEGER REFERENCES head_versions (id) ON DELETE SET NULL,
  by_user       TEXT,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX labels_face ON labels (face_id, id);
CREATE INDEX labels_character ON labels (character_id);

CREATE TABLE training_runs (
  id            INTEGER PRIMARY KEY,
  guild_id      TEXT,                   -- NULL for the shared backbone
  kind          TEXT NOT NULL CHECK (kind IN ('head', 'backbone')),
  status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'rejected')),
  model_version TEXT,
  metrics_json  TEXT,
  error         TEXT,
  started_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  finished_at   TEXT
);

CREATE TABLE watched_channels (
  guild_id    TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  added_by    TEXT,
  added_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (guild_id, channel_id)
);

CREATE TABLE guild_settings (
  guild_id      TEXT PRIMARY KEY,
  teach_role_id TEXT                    -- NULL: everyone may /teach
);
