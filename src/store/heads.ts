import type { Db } from './database.ts';

export interface HeadVersionRow {
  id: number;
  guild_id: string;
  model_version: string;
  head_json: string;
  /** Null in rows written before migration 0003 (their arrays are in head_json). */
  head_arrays: Buffer | null;
  characters: number;
  trained_on: number;
  fit_ms: number;
  created_at: string;
}

export class HeadRepository {
  constructor(private readonly db: Db) {}

  insert(row: Omit<HeadVersionRow, 'id' | 'created_at'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO head_versions (guild_id, model_version, head_json, head_arrays, characters, trained_on, fit_ms)
         VALUES (@guild_id, @model_version, @head_json, @head_arrays, @characters, @trained_on, @fit_ms)`,
      )
      .run(row);
    return Number(info.lastInsertRowid);
  }

  /** The newest head's id only: checked on every prediction, so a refit in another process is used at once. */
  latestId(guildId: string, modelVersion: string): number | undefined {
    const row = this.db
      .prepare('SELECT MAX(id) AS id FROM head_versions WHERE guild_id = ? AND model_version = ?')
      .get(guildId, modelVersion) as { id: number | null };
    return row.id ?? undefined;
  }

  byId(id: number): HeadVersionRow | undefined {
    return this.db.prepare('SELECT * FROM head_versions WHERE id = ?').get(id) as HeadVersionRow | undefined;
  }

  /** The newest head's bookkeeping without parsing its weights. */
  latestSummary(
    guildId: string,
    modelVersion: string,
  ): { id: number; trained_on: number; created_at: string; labels: string[] } | undefined {
    const row = this.db
      .prepare(
        `SELECT id, trained_on, created_at, json_extract(head_json, '$.labels') AS labels FROM head_versions
         WHERE guild_id = ? AND model_version = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(guildId, modelVersion) as
      | { id: number; trained_on: number; created_at: string; labels: string | null }
      | undefined;
    return row ? { ...row, labels: JSON.parse(row.labels ?? '[]') as string[] } : undefined;
  }

  /** How many bytes a stored head takes (its JSON and its arrays). */
  storedBytes(id: number): number {
    const row = this.db
      .prepare('SELECT length(head_json) + ifnull(length(head_arrays), 0) AS n FROM head_versions WHERE id = ?')
      .get(id) as { n: number } | undefined;
    return row?.n ?? 0;
  }

  guilds(): string[] {
    return (this.db.prepare('SELECT DISTINCT guild_id FROM characters').all() as Array<{ guild_id: string }>).map(
      (r) => r.guild_id,
    );
  }
}
