import { blobToVector, vectorToBlob, type Db } from './database.ts';

/** A face for the embedding map: its vector under one model and its current label, if any. */
export interface MapFaceRow {
  id: number;
  vector: Buffer;
  source: string | null;
  display_name: string | null;
  confidence: number | null;
  crop_path: string;
  source_path: string | null;
}

export class EmbeddingRepository {
  constructor(private readonly db: Db) {}

  put(faceId: number, modelVersion: string, vector: Float32Array): void {
    this.db
      .prepare('INSERT OR REPLACE INTO embeddings (face_id, model_version, vector) VALUES (?, ?, ?)')
      .run(faceId, modelVersion, vectorToBlob(vector));
  }

  get(faceId: number, modelVersion: string): Float32Array | undefined {
    const row = this.db
      .prepare('SELECT vector FROM embeddings WHERE face_id = ? AND model_version = ?')
      .get(faceId, modelVersion) as { vector: Buffer } | undefined;
    return row ? blobToVector(row.vector) : undefined;
  }

  /**
   * The newest `limit` faces of a guild that the head predicted as nobody and no person named,
   * with their vectors under `modelVersion`, newest first.
   */
  unnamedFaces(guildId: string, modelVersion: string, limit: number): Array<{ id: number; vector: Buffer }> {
    return this.db
      .prepare(
        `SELECT cl.face_id AS id, e.vector FROM current_labels cl
         JOIN embeddings e ON e.face_id = cl.face_id AND e.model_version = ?
         WHERE cl.guild_id = ? AND cl.source = 'predicted' AND cl.character_id IS NULL
         ORDER BY cl.face_id DESC LIMIT ?`,
      )
      .all(modelVersion, guildId, limit) as Array<{ id: number; vector: Buffer }>;
  }

  /** Every face of a guild with a vector under `modelVersion`, except those marked "not a character". */
  mapFaces(guildId: string, modelVersion: string): MapFaceRow[] {
    return this.db
      .prepare(
        `SELECT f.id, e.vector, cl.source, c.display_name, cl.confidence, f.crop_path, i.source_path
         FROM faces f
         JOIN embeddings e ON e.face_id = f.id AND e.model_version = ?
         JOIN images i ON i.id = f.image_id
         LEFT JOIN current_labels cl ON cl.face_id = f.id
         LEFT JOIN characters c ON c.id = cl.character_id
         WHERE f.guild_id = ? AND (cl.source IS NULL OR cl.source != 'not_character')
         ORDER BY f.id`,
      )
      .all(modelVersion, guildId) as MapFaceRow[];
  }

  missingFor(modelVersion: string): Array<{ id: number; crop_path: string }> {
    return this.db
      .prepare(
        `SELECT f.id, f.crop_path FROM faces f
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version = ?) ORDER BY f.id`,
      )
      .all(modelVersion) as Array<{ id: number; crop_path: string }>;
  }
}
