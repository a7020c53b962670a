import { blobToVector, vectorToBlob, type Db } from './database.ts';

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

  missingFor(modelVersion: string): Array<{ id: number; crop_path: string }> {
    return this.db
      .prepare(
        `SELECT f.id, f.crop_path FROM faces f
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version = ?) ORDER BY f.id`,
      )
      .all(modelVersion) as Array<{ id: number; crop_path: string }>;
  }
}
