-- Roster packs (#38): a game's characters with reference embeddings, installed once per data folder and
-- added per guild. A pack's vectors stay in its file (models/packs or <data>/packs); only what guilds
-- share by reference (names, aliases) is here, so one query finds "kaede" in any guild that added a pack.

CREATE TABLE packs (
  id          TEXT PRIMARY KEY,         -- the pack's own id, e.g. cinderella-girls
  sha256      TEXT NOT NULL,            -- of the whole file
  title       TEXT NOT NULL,
  franchise   TEXT NOT NULL,
  origin      TEXT NOT NULL CHECK (origin IN ('shipped', 'file')),
  path        TEXT NOT NULL,            -- shipped: relative to the project; file: relative to the data folder
  characters  INTEGER NOT NULL,
  installed_by TEXT,
  installed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Every name a pack character answers to, normalised like characters.name_key.
CREATE TABLE pack_names (
  pack_id     TEXT NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
  name_key    TEXT NOT NULL,
  character   TEXT NOT NULL,            -- the character's id inside the pack
  PRIMARY KEY (pack_id, name_key, character)
);
CREATE INDEX pack_names_key ON pack_names (name_key);

CREATE TABLE guild_packs (
  guild_id    TEXT NOT NULL,
  pack_id     TEXT NOT NULL REFERENCES packs (id),
  added_by    TEXT,
  added_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (guild_id, pack_id)
);

-- A guild's character that stands for a pack character (NULL for characters people made).
ALTER TABLE characters ADD COLUMN pack_id TEXT;
ALTER TABLE characters ADD COLUMN pack_character TEXT;
CREATE UNIQUE INDEX characters_pack ON characters (guild_id, pack_id, pack_character) WHERE pack_id IS NOT NULL;

-- The head fit on a pack's references for one embedder: shared by every guild that added the pack, fit
-- once per data folder (by whichever process installs or first needs it).
CREATE TABLE pack_heads (
  pack_sha256   TEXT NOT NULL,
  model_version TEXT NOT NULL,
  head_json     TEXT NOT NULL,
  head_arrays   BLOB NOT NULL,
  fit_ms        REAL NOT NULL,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (pack_sha256, model_version)
);
