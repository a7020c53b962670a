import type { Db } from './database.ts';
import { characterKey, type CharacterRow } from './characters.ts';

export interface PackRow {
  id: string;
  sha256: string;
  title: string;
  franchise: string;
  origin: 'shipped' | 'file';
  path: string;
  characters: number;
  installed_by: string | null;
  installed_at: string;
}

export interface PackInstall extends Pick<PackRow, 'id' | 'sha256' | 'title' | 'franchise' | 'origin' | 'path'> {
  /** Each pack character's id and every name it answers to. */
  names: Array<{ character: string; names: string[] }>;
  installedBy?: string;
}

/** A character of a pack as one guild has it: the guild's row, and which pack it stands for. */
export interface PackCharacterRow extends CharacterRow {
  pack_id: string;
  pack_character: string;
}

/** Installed packs (shared by every guild of the data folder), their names, and which guild added which. */
export class PackRepository {
  // Prepared once: every prediction of a guild with packs runs these (about 0.4 ms a face when prepared each time).
  private readonly byId;
  private readonly ofGuild;
  private readonly characterOfPack;

  constructor(private readonly db: Db) {
    this.byId = db.prepare('SELECT * FROM packs WHERE id = ?');
    this.ofGuild = db.prepare('SELECT pack_id FROM guild_packs WHERE guild_id = ? ORDER BY added_at, pack_id').pluck();
    this.characterOfPack = db.prepare(
      'SELECT * FROM characters WHERE guild_id = ? AND pack_id = ? AND pack_character = ?',
    );
  }

  all(): PackRow[] {
    return this.db.prepare('SELECT * FROM packs ORDER BY id').all() as PackRow[];
  }

  get(id: string): PackRow | undefined {
    return this.byId.get(id) as PackRow | undefined;
  }

  /** Installs or replaces a pack's row and names (one transaction is the caller's). */
  install(pack: PackInstall): void {
    this.db
      .prepare(
        `INSERT INTO packs (id, sha256, title, franchise, origin, path, characters, installed_by)
         VALUES (@id, @sha256, @title, @franchise, @origin, @path, @characters, @installedBy)
         ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, title = excluded.title,
           franchise = excluded.franchise, origin = excluded.origin, path = excluded.path,
           characters = excluded.characters, installed_by = excluded.installed_by,
           installed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
      )
      .run({ ...pack, characters: pack.names.length, installedBy: pack.installedBy ?? null });
    this.db.prepare('DELETE FROM pack_names WHERE pack_id = ?').run(pack.id);
    const insert = this.db.prepare('INSERT OR IGNORE INTO pack_names (pack_id, name_key, character) VALUES (?, ?, ?)');
    for (const c of pack.names) for (const n of c.names) insert.run(pack.id, characterKey(n), c.character);
  }

  uninstall(id: string): void {
    this.db.prepare('DELETE FROM packs WHERE id = ?').run(id);
  }

  /** Packs that at least one guild added. */
  inUse(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT pack_id FROM guild_packs ORDER BY pack_id').all() as Array<{ pack_id: string }>
    ).map((r) => r.pack_id);
  }

  /** The packs a guild added, oldest first: checked on every prediction, so it is one indexed read. */
  forGuild(guildId: string): string[] {
    return this.ofGuild.all(guildId) as string[];
  }

  addToGuild(guildId: string, packId: string, by?: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO guild_packs (guild_id, pack_id, added_by) VALUES (?, ?, ?)')
        .run(guildId, packId, by ?? null).changes > 0
    );
  }

  removeFromGuild(guildId: string, packId: string): boolean {
    return (
      this.db.prepare('DELETE FROM guild_packs WHERE guild_id = ? AND pack_id = ?').run(guildId, packId).changes > 0
    );
  }

  /** The guild's character standing for one pack character. */
  characterOf(guildId: string, packId: string, character: string): CharacterRow | undefined {
    return this.characterOfPack.get(guildId, packId, character) as CharacterRow | undefined;
  }

  /** Every character of a guild that stands for a character of this pack. */
  charactersOf(guildId: string, packId: string): PackCharacterRow[] {
    return this.db
      .prepare('SELECT * FROM characters WHERE guild_id = ? AND pack_id = ? ORDER BY id')
      .all(guildId, packId) as PackCharacterRow[];
  }

  /** Links a guild's character to a pack character (adding a pack over a name the guild already taught). */
  link(guildId: string, characterId: number, packId: string, character: string): void {
    this.db
      .prepare('UPDATE characters SET pack_id = ?, pack_character = ? WHERE guild_id = ? AND id = ?')
      .run(packId, character, guildId, characterId);
  }

  /** Unlinks a character from its pack (removing a pack keeps what people taught under it). */
  unlink(guildId: string, characterId: number): void {
    this.db
      .prepare('UPDATE characters SET pack_id = NULL, pack_character = NULL WHERE guild_id = ? AND id = ?')
      .run(guildId, characterId);
  }

  /** Inserts a guild character for a pack character; the name key must be free (the caller checks). */
  insertCharacter(guildId: string, displayName: string, packId: string, character: string, by?: string): number {
    const info = this.db
      .prepare(
        `INSERT INTO characters (guild_id, name_key, display_name, created_by, pack_id, pack_character)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(guildId, characterKey(displayName), displayName, by ?? null, packId, character);
    return Number(info.lastInsertRowid);
  }

  /** Whether anything a person said names this character (taught, corrected or confirmed faces). */
  hasHumanLabels(characterId: number): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 FROM current_labels WHERE character_id = ? AND source IN ('taught', 'corrected', 'confirmed') LIMIT 1`,
        )
        .get(characterId) !== undefined
    );
  }

  /** Pack name keys of a guild's characters, for autocomplete: character id → franchise and aliases. */
  namesOfGuild(guildId: string): Array<{ character_id: number; franchise: string; name_key: string }> {
    return this.db
      .prepare(
        `SELECT c.id AS character_id, p.franchise, n.name_key FROM characters c
         JOIN guild_packs g ON g.guild_id = c.guild_id AND g.pack_id = c.pack_id
         JOIN packs p ON p.id = c.pack_id
         JOIN pack_names n ON n.pack_id = c.pack_id AND n.character = c.pack_character
         WHERE c.guild_id = ?`,
      )
      .all(guildId) as Array<{ character_id: number; franchise: string; name_key: string }>;
  }
}

export interface PackHeadRow {
  head_json: string;
  head_arrays: Buffer;
  fit_ms: number;
}

/** Heads fit on packs' references, one per pack file and embedder version. */
export class PackHeadRepository {
  constructor(private readonly db: Db) {}

  get(packSha256: string, modelVersion: string): PackHeadRow | undefined {
    return this.db
      .prepare('SELECT head_json, head_arrays, fit_ms FROM pack_heads WHERE pack_sha256 = ? AND model_version = ?')
      .get(packSha256, modelVersion) as PackHeadRow | undefined;
  }

  put(packSha256: string, modelVersion: string, row: PackHeadRow): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO pack_heads (pack_sha256, model_version, head_json, head_arrays, fit_ms)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(packSha256, modelVersion, row.head_json, row.head_arrays, row.fit_ms);
  }
}
