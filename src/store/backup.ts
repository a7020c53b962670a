import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Copies the live database to `target` with SQLite's online backup, safely while other processes
 * (the bot, an import) keep writing. All pages are copied in one step, which is one read
 * transaction: a consistent snapshot that never restarts however busy the writers are (in WAL
 * mode a reader does not block them). The copy is written beside the target and renamed into
 * place, so `target` is either the old file or a complete new one. Returns the page count.
 */
export async function backupDatabase(dataDir: string, target: string): Promise<number> {
  const source = path.join(dataDir, 'idoltag.sqlite');
  if (!existsSync(source)) throw new Error(`There is no database in ${dataDir}`);
  if (path.resolve(target) === path.resolve(source)) throw new Error('The backup must go to another file');
  const db = new Database(source, { fileMustExist: true });
  const temp = `${target}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  try {
    db.pragma('busy_timeout = 5000');
    const { totalPages } = await db.backup(temp, { progress: () => 0x7fffffff });
    const check = new Database(temp);
    try {
      const result = (check.pragma('integrity_check') as Array<{ integrity_check: string }>)[0].integrity_check;
      if (result !== 'ok') throw new Error(`the copy failed its integrity check: ${result}`);
      // A single self-contained file: no -wal beside it is needed to read it.
      check.pragma('journal_mode = DELETE');
    } finally {
      check.close();
    }
    renameSync(temp, target);
    return totalPages;
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
