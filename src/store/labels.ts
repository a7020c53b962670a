import type { Db } from './database.ts';

export type LabelSource = 'taught' | 'corrected' | 'confirmed' | 'predicted' | 'not_character';

export interface CurrentLabel {
  face_id: number;
  character_id: number | null;
  source: LabelSource;
  confidence: number | null;
  by_user: string | null;
  created_at: string;
}

export class LabelRepository {
  constructor(private readonly db: Db) {}

  add(label: {
    guildId: string;
    faceId: number;
    characterId: number | null;
    source: LabelSource;
    confidence?: number | null;
    headVersion?: number | null;
    by?: string | null;
  }): number {
    const info = this.db
      .prepare(
        `INSERT INTO labels (guild_id, face_id, character_id, source, confidence, head_version, by_user)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        label.guildId,
        label.faceId,
        label.characterId,
        label.source,
        label.confidence ?? null,
        label.headVersion ?? null,
        label.by ?? null,
      );
    return Number(info.lastInsertRowid);
  }

  current(faceId: number): CurrentLabel | undefined {
    return this.db
      .prepare(
        `SELECT face_id, character_id, source, confidence, by_user, created_at FROM labels WHERE face_id = ?
         ORDER BY (source != 'predicted') DESC, id DESC LIMIT 1`,
      )
      .get(faceId) as CurrentLabel | undefined;
  }

  /** Faces a person labelled as a character (the head's training set), with that character's name. */
  humanLabelled(guildId: string, modelVersion: string): Array<{ face_id: number; name: string; vector: Buffer }> {
    return this.db
      .prepare(
        `SELECT cl.face_id, c.name_key AS name, e.vector FROM current_labels cl
         JOIN characters c ON c.id = cl.character_id
         JOIN embeddings e ON e.face_id = cl.face_id AND e.model_version = ?
         WHERE cl.guild_id = ? AND cl.source IN ('taught', 'corrected', 'confirmed')
         ORDER BY cl.face_id`,
      )
      .all(modelVersion, guildId) as Array<{ face_id: number; name: string; vector: Buffer }>;
  }

  /** Every face a person named, in every guild, with its crop and its source image's hash (the embedder's training set). */
  humanLabelledCrops(): Array<{ faceId: number; crop: string; guild: string; name: string; sha: string }> {
    return this.db
      .prepare(
        `SELECT f.id AS faceId, f.crop_path AS crop, c.guild_id AS guild, c.name_key AS name, i.sha256 AS sha
         FROM current_labels cl JOIN faces f ON f.id = cl.face_id JOIN images i ON i.id = f.image_id
         JOIN characters c ON c.id = cl.character_id
         WHERE cl.source IN ('taught', 'corrected', 'confirmed') ORDER BY f.id`,
      )
      .all() as Array<{ faceId: number; crop: string; guild: string; name: string; sha: string }>;
  }

  /** What the head of a guild should be fit on now: how many faces, the newest label, which names. */
  humanSummary(guildId: string, modelVersion: string): { faces: number; newest: string | null; names: string[] } {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n, MAX(cl.created_at) AS newest, json_group_array(DISTINCT c.name_key) AS names FROM current_labels cl
         JOIN characters c ON c.id = cl.character_id
         JOIN embeddings e ON e.face_id = cl.face_id AND e.model_version = ?
         WHERE cl.guild_id = ? AND cl.source IN ('taught', 'corrected', 'confirmed')`,
      )
      .get(modelVersion, guildId) as { n: number; newest: string | null; names: string };
    return {
      faces: row.n,
      newest: row.newest,
      names: (JSON.parse(row.names) as Array<string | null>).filter((n): n is string => n !== null).sort(),
    };
  }

  countHuman(guildId: string | null): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM current_labels WHERE source IN ('taught','corrected','confirmed')
         AND (? IS NULL OR guild_id = ?)`,
      )
      .get(guildId, guildId) as { n: number };
    return row.n;
  }
}
