import type { Box } from '../core/types.ts';
import type { Db } from './database.ts';

export interface ImageRow {
  id: number;
  guild_id: string;
  sha256: string;
  source_kind: 'file' | 'discord' | 'teach' | 'import';
  source_path: string | null;
  channel_id: string | null;
  message_id: string | null;
  url: string | null;
  author_id: string | null;
  stored_path: string | null;
  width: number;
  height: number;
  created_at: string;
}

export interface FaceRow extends Box {
  id: number;
  guild_id: string;
  image_id: number;
  detector: string;
  detector_settings: string;
  score: number;
  crop_path: string;
}

export interface CharacterAppearance {
  imageId: number;
  channelId: string | null;
  messageId: string | null;
  url: string | null;
  sourcePath: string | null;
  /** 1 when a person confirmed, corrected or taught the character on this image. */
  confirmed: number;
  confidence: number;
  createdAt: string;
}

export type NewImage = Omit<ImageRow, 'id' | 'created_at'>;
export type NewFace = Omit<FaceRow, 'id'>;

export class ImageRepository {
  constructor(private readonly db: Db) {}

  insertImage(image: NewImage): number {
    const info = this.db
      .prepare(
        `INSERT INTO images (guild_id, sha256, source_kind, source_path, channel_id, message_id, url, author_id, stored_path, width, height)
         VALUES (@guild_id, @sha256, @source_kind, @source_path, @channel_id, @message_id, @url, @author_id, @stored_path, @width, @height)`,
      )
      .run(image);
    return Number(info.lastInsertRowid);
  }

  insertFace(face: NewFace): number {
    const info = this.db
      .prepare(
        `INSERT INTO faces (guild_id, image_id, x, y, w, h, detector, detector_settings, score, crop_path)
         VALUES (@guild_id, @image_id, @x, @y, @w, @h, @detector, @detector_settings, @score, @crop_path)`,
      )
      .run(face);
    return Number(info.lastInsertRowid);
  }

  image(guildId: string, id: number): ImageRow | undefined {
    return this.db.prepare('SELECT * FROM images WHERE guild_id = ? AND id = ?').get(guildId, id) as
      | ImageRow
      | undefined;
  }

  face(guildId: string, id: number): FaceRow | undefined {
    return this.db.prepare('SELECT * FROM faces WHERE guild_id = ? AND id = ?').get(guildId, id) as FaceRow | undefined;
  }

  /** A face of this exact image (by content hash) whose current label is a person's, as this character. */
  humanLabelledFaceOfImage(guildId: string, sha256: string, characterId: number): number | undefined {
    const row = this.db
      .prepare(
        `SELECT f.id FROM images i JOIN faces f ON f.image_id = i.id JOIN current_labels cl ON cl.face_id = f.id
         WHERE i.guild_id = ? AND i.sha256 = ? AND cl.character_id = ? AND cl.source IN ('taught', 'corrected', 'confirmed')
         LIMIT 1`,
      )
      .get(guildId, sha256, characterId) as { id: number } | undefined;
    return row?.id;
  }

  facesOfImage(imageId: number): FaceRow[] {
    return this.db.prepare('SELECT * FROM faces WHERE image_id = ? ORDER BY id').all(imageId) as FaceRow[];
  }

  /** Every face of every guild (for re-embedding after an embedder swap). */
  *allFaces(): IterableIterator<Pick<FaceRow, 'id' | 'crop_path'>> {
    yield* this.db.prepare('SELECT id, crop_path FROM faces ORDER BY id').iterate() as IterableIterator<
      Pick<FaceRow, 'id' | 'crop_path'>
    >;
  }

  /**
   * The screenshots a character is in (not imported examples): per image, whether a person
   * confirmed the character there and the best confidence; confirmed first, then newest.
   * Predictions below `minConfidence` do not count.
   */
  appearances(guildId: string, characterId: number, minConfidence: number): CharacterAppearance[] {
    return this.db
      .prepare(
        `SELECT i.id AS imageId, i.channel_id AS channelId, i.message_id AS messageId, i.url, i.source_path AS sourcePath,
                MAX(cl.source != 'predicted') AS confirmed, MAX(COALESCE(cl.confidence, 1)) AS confidence, i.created_at AS createdAt
         FROM current_labels cl JOIN faces f ON f.id = cl.face_id JOIN images i ON i.id = f.image_id
         WHERE cl.guild_id = ? AND cl.character_id = ? AND i.source_kind != 'import'
           AND (cl.source != 'predicted' OR cl.confidence >= ?)
         GROUP BY i.id ORDER BY confirmed DESC, i.id DESC`,
      )
      .all(guildId, characterId, minConfidence) as CharacterAppearance[];
  }

  counts(guildId: string): { images: number; faces: number } {
    const images = this.db.prepare('SELECT COUNT(*) AS n FROM images WHERE guild_id = ?').get(guildId) as { n: number };
    const faces = this.db.prepare('SELECT COUNT(*) AS n FROM faces WHERE guild_id = ?').get(guildId) as { n: number };
    return { images: images.n, faces: faces.n };
  }
}
