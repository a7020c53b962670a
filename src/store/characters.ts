import type { Db } from './database.ts';

export interface CharacterRow {
  id: number;
  guild_id: string;
  /** characterKey(display_name): what names are matched by. */
  name_key: string;
  display_name: string;
  /** Set when the character stands for a roster pack's character (migration 0006). */
  pack_id?: string | null;
  pack_character?: string | null;
}

/** The key a name is stored under: "Amami  Haruka" and "amami haruka" are the same idol. */
export function characterKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function validateCharacterName(name: string): string | undefined {
  const key = characterKey(name);
  if (key.length === 0) return 'Please give the character a name.';
  if (key.length > 64) return 'That name is too long (64 characters at most).';
  if (/[\u0000-\u001f@#<>`]/.test(name)) return 'Names cannot contain @, #, <, >, ` or control characters.';
  return undefined;
}

export class CharacterRepository {
  constructor(private readonly db: Db) {}

  find(guildId: string, name: string): CharacterRow | undefined {
    return this.db
      .prepare('SELECT * FROM characters WHERE guild_id = ? AND name_key = ?')
      .get(guildId, characterKey(name)) as CharacterRow | undefined;
  }

  /**
   * Every character `name` may mean: the one whose name it is, else those of the guild's packs that answer
   * to it ("kaede", "高垣楓", "takagaki kaede"). More than one means the name is ambiguous.
   */
  lookup(guildId: string, name: string): CharacterRow[] {
    const exact = this.find(guildId, name);
    if (exact) return [exact];
    return this.db
      .prepare(
        `SELECT DISTINCT c.* FROM pack_names n
         JOIN guild_packs g ON g.pack_id = n.pack_id AND g.guild_id = ?
         JOIN characters c ON c.guild_id = g.guild_id AND c.pack_id = n.pack_id AND c.pack_character = n.character
         WHERE n.name_key = ? ORDER BY c.display_name COLLATE NOCASE`,
      )
      .all(guildId, characterKey(name)) as CharacterRow[];
  }

  /** Display names by name key, for the few keys a reply shows. */
  displayNames(guildId: string, keys: string[]): Map<string, string> {
    const names = new Map<string, string>();
    const query = this.db.prepare('SELECT display_name FROM characters WHERE guild_id = ? AND name_key = ?');
    for (const key of new Set(keys)) {
      const row = query.get(guildId, key) as { display_name: string } | undefined;
      if (row) names.set(key, row.display_name);
    }
    return names;
  }

  byId(guildId: string, id: number): CharacterRow | undefined {
    return this.db.prepare('SELECT * FROM characters WHERE guild_id = ? AND id = ?').get(guildId, id) as
      | CharacterRow
      | undefined;
  }

  findOrCreate(guildId: string, name: string, by?: string): { character: CharacterRow; created: boolean } {
    const existing = this.find(guildId, name);
    if (existing) return { character: existing, created: false };
    const display = name.normalize('NFKC').trim().replace(/\s+/g, ' ');
    const info = this.db
      .prepare('INSERT INTO characters (guild_id, name_key, display_name, created_by) VALUES (?, ?, ?, ?)')
      .run(guildId, characterKey(name), display, by ?? null);
    return { character: this.byId(guildId, Number(info.lastInsertRowid))!, created: true };
  }

  /** Characters with the number of faces whose current label is a human-given one of them. */
  listWithCounts(guildId: string): Array<CharacterRow & { faces: number }> {
    return this.db
      .prepare(
        `SELECT c.*, COUNT(cl.face_id) AS faces FROM characters c
         LEFT JOIN current_labels cl ON cl.character_id = c.id AND cl.source != 'predicted'
         WHERE c.guild_id = ? GROUP BY c.id ORDER BY c.display_name COLLATE NOCASE`,
      )
      .all(guildId) as Array<CharacterRow & { faces: number }>;
  }

  rename(guildId: string, id: number, newName: string): void {
    const display = newName.normalize('NFKC').trim().replace(/\s+/g, ' ');
    this.db
      .prepare('UPDATE characters SET name_key = ?, display_name = ? WHERE guild_id = ? AND id = ?')
      .run(characterKey(newName), display, guildId, id);
  }

  /** Moves every label of `fromId` onto `intoId`, then deletes `fromId`. */
  merge(guildId: string, fromId: number, intoId: number): void {
    this.db
      .prepare('UPDATE labels SET character_id = ? WHERE guild_id = ? AND character_id = ?')
      .run(intoId, guildId, fromId);
    this.db.prepare('DELETE FROM characters WHERE guild_id = ? AND id = ?').run(guildId, fromId);
  }

  remove(guildId: string, id: number): void {
    this.db.prepare('DELETE FROM characters WHERE guild_id = ? AND id = ?').run(guildId, id);
  }

  count(guildId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM characters WHERE guild_id = ?').get(guildId) as { n: number }).n;
  }
}
