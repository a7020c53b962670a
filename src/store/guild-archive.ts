/**
 * One guild's rows as a self-contained SQLite file: what moves a guild to another host when the
 * shard count changes (docs/scaling.md). The archive has the same columns as the live tables, the
 * bytes of every crop and stored screenshot, and a `meta` table naming the format and the guild.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Db } from './database.ts';

export const ARCHIVE_FORMAT = 'idoltag-guild-archive';
export const ARCHIVE_VERSION = 1;

/** Tables copied with the guild's rows, parents before children. */
const GUILD_TABLES = [
  'characters',
  'images',
  'faces',
  'head_versions',
  'labels',
  'watched_channels',
  'guild_settings',
  'training_runs',
  'guild_packs',
] as const;

export interface ArchiveCounts {
  characters: number;
  images: number;
  faces: number;
  labels: number;
  embeddings: number;
  heads: number;
  files: number;
}

/** Thrown for an archive that is not one, is from a newer idoltag, or can't go where asked. */
export class GuildArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuildArchiveError';
  }
}

/**
 * Writes `guildId`'s rows and files to `target` from one read snapshot of the live database (the
 * bot may keep writing). `readFile` gives the bytes of a path stored in a row. The archive is built
 * beside `target` and renamed into place, so `target` is never half-written.
 */
export function writeGuildArchive(
  db: Db,
  guildId: string,
  target: string,
  readFile: (stored: string) => Buffer,
): ArchiveCounts {
  const temp = `${target}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  db.prepare('ATTACH DATABASE ? AS archive').run(temp);
  try {
    db.transaction(() => {
      db.exec(`CREATE TABLE archive.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      const meta = db.prepare('INSERT INTO archive.meta (key, value) VALUES (?, ?)');
      meta.run('format', ARCHIVE_FORMAT);
      meta.run('version', String(ARCHIVE_VERSION));
      meta.run('guild_id', guildId);
      meta.run('exported_at', new Date().toISOString());
      meta.run('schema_version', String(db.pragma('user_version', { simple: true })));
      for (const table of GUILD_TABLES) {
        db.prepare(
          `CREATE TABLE archive.${table} AS SELECT * FROM main.${table} WHERE guild_id = ? ORDER BY rowid`,
        ).run(guildId);
      }
      db.prepare(
        `CREATE TABLE archive.embeddings AS SELECT e.* FROM main.embeddings e JOIN main.faces f ON f.id = e.face_id
         WHERE f.guild_id = ? ORDER BY e.face_id, e.model_version`,
      ).run(guildId);
      db.exec(`CREATE TABLE archive.files (path TEXT PRIMARY KEY, bytes BLOB NOT NULL)`);
      const paths = db
        .prepare(
          `SELECT crop_path AS path FROM main.faces WHERE guild_id = ?
           UNION SELECT stored_path FROM main.images WHERE guild_id = ? AND stored_path IS NOT NULL`,
        )
        .all(guildId, guildId) as Array<{ path: string }>;
      const addFile = db.prepare('INSERT INTO archive.files (path, bytes) VALUES (?, ?)');
      for (const { path } of paths) addFile.run(path, readFile(path));
    })();
  } catch (err) {
    db.exec('DETACH DATABASE archive');
    rmSync(temp, { force: true });
    throw err;
  }
  db.exec('DETACH DATABASE archive');
  const counts = countArchive(temp);
  renameSync(temp, target);
  return counts;
}

export function countArchive(file: string): ArchiveCounts {
  const archive = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const n = (table: string) => (archive.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      characters: n('characters'),
      images: n('images'),
      faces: n('faces'),
      labels: n('labels'),
      embeddings: n('embeddings'),
      heads: n('head_versions'),
      files: n('files'),
    };
  } finally {
    archive.close();
  }
}

/** Opens an archive read-only and checks that it is one this version understands. */
export function openGuildArchive(file: string): { archive: Db; guildId: string } {
  if (!existsSync(file)) throw new GuildArchiveError(`There is no file ${file}`);
  let archive: Db;
  try {
    archive = new Database(file, { readonly: true, fileMustExist: true });
    const meta = Object.fromEntries(
      (archive.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [
        r.key,
        r.value,
      ]),
    );
    if (meta.format !== ARCHIVE_FORMAT || !meta.guild_id) throw new Error('not a guild archive');
    if (Number(meta.version) > ARCHIVE_VERSION) {
      archive.close();
      throw new GuildArchiveError(
        `${file} was written by a newer idoltag (archive version ${meta.version}); update idoltag here first.`,
      );
    }
    return { archive, guildId: meta.guild_id };
  } catch (err) {
    if (err instanceof GuildArchiveError) throw err;
    throw new GuildArchiveError(`${file} is not a guild archive made by \`idoltag guild export\`.`);
  }
}

type Row = Record<string, unknown>;

/**
 * Inserts an archive's rows into `db` in one transaction, giving every row a new id and following
 * the references. Embeddings and heads of model versions this database does not have are left out
 * (the caller re-embeds from the crops). Returns the counts and which faces lack an embedding.
 */
export function insertGuildArchive(
  db: Db,
  archive: Db,
  guildId: string,
): ArchiveCounts & { skippedModelVersions: string[] } {
  const rows = (table: string) => archive.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Row[];
  const known = new Set((db.prepare('SELECT id FROM model_versions').all() as Array<{ id: string }>).map((r) => r.id));
  const skipped = new Set<string>();
  const insert = (table: string, row: Row, drop: string[] = ['id']): number => {
    const columns = Object.keys(row).filter((c) => !drop.includes(c));
    const info = db
      .prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`)
      .run(Object.fromEntries(columns.map((c) => [c, row[c]])));
    return Number(info.lastInsertRowid);
  };
  const remap = (ids: Map<unknown, number>, table: string, value: unknown): number => {
    const id = ids.get(value);
    if (id === undefined)
      throw new GuildArchiveError(`The archive is damaged: ${table} ${String(value)} is referenced but missing.`);
    return id;
  };
  return db.transaction(() => {
    const characters = new Map<unknown, number>();
    const images = new Map<unknown, number>();
    const faces = new Map<unknown, number>();
    const heads = new Map<unknown, number>();
    const counts = { characters: 0, images: 0, faces: 0, labels: 0, embeddings: 0, heads: 0, files: 0 };
    // Roster packs the guild added come along where this host has them installed; characters of a pack it
    // lacks stay, as characters of their own (with every face people taught them).
    const installed = new Set((db.prepare('SELECT id FROM packs').all() as Array<{ id: string }>).map((r) => r.id));
    const hasTable = (table: string) =>
      archive.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const packRows = hasTable('guild_packs') ? rows('guild_packs') : [];
    const packs = new Set(packRows.map((r) => r.pack_id as string).filter((id) => installed.has(id)));
    for (const row of packRows)
      if (packs.has(row.pack_id as string)) insert('guild_packs', { ...row, guild_id: guildId }, []);
    for (const row of rows('characters')) {
      const linked = typeof row.pack_id === 'string' && packs.has(row.pack_id);
      const character = 'pack_id' in row && !linked ? { ...row, pack_id: null, pack_character: null } : row;
      characters.set(row.id, insert('characters', { ...character, guild_id: guildId }));
      counts.characters++;
    }
    for (const row of rows('images')) {
      images.set(row.id, insert('images', { ...row, guild_id: guildId }));
      counts.images++;
    }
    for (const row of rows('faces')) {
      faces.set(row.id, insert('faces', { ...row, guild_id: guildId, image_id: remap(images, 'image', row.image_id) }));
      counts.faces++;
    }
    for (const row of rows('embeddings')) {
      if (!known.has(row.model_version as string)) {
        skipped.add(row.model_version as string);
        continue;
      }
      insert('embeddings', { ...row, face_id: remap(faces, 'face', row.face_id) }, []);
      counts.embeddings++;
    }
    for (const row of rows('head_versions')) {
      if (!known.has(row.model_version as string)) continue;
      heads.set(row.id, insert('head_versions', { ...row, guild_id: guildId }));
      counts.heads++;
    }
    for (const row of rows('labels')) {
      insert('labels', {
        ...row,
        guild_id: guildId,
        face_id: remap(faces, 'face', row.face_id),
        character_id: row.character_id === null ? null : remap(characters, 'character', row.character_id),
        head_version: row.head_version === null ? null : (heads.get(row.head_version) ?? null),
      });
      counts.labels++;
    }
    for (const row of rows('watched_channels')) insert('watched_channels', { ...row, guild_id: guildId }, []);
    for (const row of rows('guild_settings')) insert('guild_settings', { ...row, guild_id: guildId }, []);
    for (const row of rows('training_runs')) insert('training_runs', { ...row, guild_id: guildId });
    return { ...counts, skippedModelVersions: [...skipped] };
  })();
}

/** How many rows `guildId` has here: an import only goes to a host that holds none. */
export function guildRowCount(db: Db, guildId: string): number {
  return GUILD_TABLES.reduce(
    (n, table) =>
      n + (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE guild_id = ?`).get(guildId) as { n: number }).n,
    0,
  );
}

/** The stored files of an archive, one at a time (screenshots can be large). */
export function* archiveFiles(archive: Db): IterableIterator<{ path: string; bytes: Buffer }> {
  yield* archive.prepare('SELECT path, bytes FROM files ORDER BY path').iterate() as IterableIterator<{
    path: string;
    bytes: Buffer;
  }>;
}

/** The guild archive functions on the store's own connection (services never hold it). */
export class GuildArchiveRepository {
  constructor(private readonly db: Db) {}

  /** Rows of any kind the guild has in this database. */
  rowCount(guildId: string): number {
    return guildRowCount(this.db, guildId);
  }

  write(guildId: string, target: string, readFile: (stored: string) => Buffer): ArchiveCounts {
    return writeGuildArchive(this.db, guildId, target, readFile);
  }

  insert(archive: Db, guildId: string): ArchiveCounts & { skippedModelVersions: string[] } {
    return insertGuildArchive(this.db, archive, guildId);
  }
}
