/**
 * Shared by the reliability tests: the real CLI as one killable process, and a check that a data
 * folder holds no half-written work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from '../helpers/paths.ts';

const MAIN = path.join(ROOT, 'src/cli/main.ts');

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Highest VmRSS seen while polling /proc (bytes). */
  peakRss: () => number;
}

/**
 * Starts `idoltag <args>` as a single node process (no tsx wrapper in between, so its pid is the
 * process doing the work) in its own process group, so `process.kill(-pid, …)` reaches it all.
 */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IDOLTAG_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  let peak = 0;
  const poll = setInterval(() => {
    const rss = vmRss(child.pid!);
    if (rss !== undefined) peak = Math.max(peak, rss);
  }, 100);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited, peakRss: () => peak };
}

/** Resident memory of a process from /proc (bytes), or undefined once it is gone. */
export function vmRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function openDb(dataDir: string, readonly = true): Database.Database {
  return new Database(path.join(dataDir, 'idoltag.sqlite'), { readonly, fileMustExist: true });
}

export interface DataCounts {
  images: number;
  faces: number;
  embeddings: number;
  labels: number;
  taught: number;
  predicted: number;
  characters: number;
  heads: number;
}

export function counts(db: Database.Database, guildId?: string): DataCounts {
  const n = (sql: string) => (db.prepare(sql).get(...(guildId ? [guildId] : [])) as { n: number }).n;
  const where = guildId ? 'WHERE guild_id = ?' : '';
  const and = guildId ? 'AND guild_id = ?' : '';
  return {
    images: n(`SELECT COUNT(*) AS n FROM images ${where}`),
    faces: n(`SELECT COUNT(*) AS n FROM faces ${where}`),
    embeddings: n(
      `SELECT COUNT(*) AS n FROM embeddings e JOIN faces f ON f.id = e.face_id ${guildId ? 'WHERE f.guild_id = ?' : ''}`,
    ),
    labels: n(`SELECT COUNT(*) AS n FROM labels ${where}`),
    taught: n(`SELECT COUNT(*) AS n FROM labels WHERE source = 'taught' ${and}`),
    predicted: n(`SELECT COUNT(*) AS n FROM labels WHERE source = 'predicted' ${and}`),
    characters: n(`SELECT COUNT(*) AS n FROM characters ${where}`),
    heads: n(`SELECT COUNT(*) AS n FROM head_versions ${where}`),
  };
}

/**
 * Everything a row points at is there: integrity and foreign keys hold, every face has its crop
 * file and an embedding under the serving model, every kept original exists, every label's face
 * and character belong to one guild, and (unless allowed: a kill -9 mid-write may leave one) no
 * temp file was left behind. Throws with the first problem found.
 */
export function assertConsistent(
  dataDir: string,
  options: { db?: Database.Database; allowTempFiles?: boolean } = {},
): void {
  const db = options.db ?? openDb(dataDir);
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0].integrity_check;
    if (integrity !== 'ok') throw new Error(`integrity_check: ${integrity}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) throw new Error(`foreign_key_check: ${JSON.stringify(fk.slice(0, 3))}`);
    const active = db.prepare('SELECT id FROM model_versions WHERE active = 1').all() as Array<{ id: string }>;
    if (active.length !== 1) throw new Error(`${active.length} active model versions`);
    const noEmbedding = db
      .prepare(
        'SELECT f.id FROM faces f WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.face_id = f.id AND e.model_version = ?)',
      )
      .all(active[0].id) as Array<{ id: number }>;
    if (noEmbedding.length > 0)
      throw new Error(`faces without an embedding: ${noEmbedding.map((r) => r.id).slice(0, 5)}`);
    for (const f of db.prepare('SELECT id, crop_path FROM faces').iterate() as IterableIterator<{
      id: number;
      crop_path: string;
    }>) {
      const file = path.isAbsolute(f.crop_path) ? f.crop_path : path.join(dataDir, f.crop_path);
      if (!existsSync(file)) throw new Error(`face ${f.id}: crop file ${f.crop_path} is missing`);
    }
    for (const i of db
      .prepare('SELECT id, stored_path FROM images WHERE stored_path IS NOT NULL')
      .iterate() as IterableIterator<{ id: number; stored_path: string }>) {
      if (!existsSync(path.join(dataDir, i.stored_path))) throw new Error(`image ${i.id}: ${i.stored_path} is missing`);
    }
    const guildMismatch = db
      .prepare(
        'SELECT l.id FROM labels l JOIN faces f ON f.id = l.face_id LEFT JOIN characters c ON c.id = l.character_id WHERE l.guild_id != f.guild_id OR (c.id IS NOT NULL AND c.guild_id != l.guild_id)',
      )
      .all() as unknown[];
    if (guildMismatch.length > 0)
      throw new Error(`labels crossing guilds: ${JSON.stringify(guildMismatch.slice(0, 3))}`);
    const temps = walk(dataDir).filter((f) => /\.tmp-\d+$/.test(f));
    if (temps.length > 0 && !options.allowTempFiles) throw new Error(`temp files left: ${temps.slice(0, 3)}`);
  } finally {
    if (!options.db) db.close();
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
