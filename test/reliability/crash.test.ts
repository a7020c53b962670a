/**
 * Crash safety of the real CLI: kill -9 (the whole process group) during an import, during
 * teaching with detection, during the final head refit and during a model swap; then check that
 * the database is intact, every taught example that was committed before the kill is still there
 * with its crop file and embedding, and the previous model serves. Also: a backup taken while
 * another process writes restores to a readable data folder, and SIGTERM stops an import or a
 * tag run after the current file with everything so far committed and the database closed.
 *
 * "Acknowledged" means committed: the test reads the database from outside (a read-only
 * connection, as any other process would) and notes which taught labels it can see, then kills.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { jsonLines } from '../helpers/cli.ts';
import { labelledSubset } from '../helpers/labelled-subset.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless, torch } from '../helpers/prerequisites.ts';
import { assertConsistent, counts, openDb, sleep, startCli, waitFor, type CliProcess } from './helpers.ts';
import { manifestEmbedders, resolveVersionName } from '../../src/services/embedder-registry.ts';

const NEWGAME = path.join(DATA, 'newgame8', 'labels.csv');
const NAGADOMI = path.join(DATA, 'nagadomi10', 'labels.csv');
const ALIAS = ['--alias', 'lijima_yun=iijima_yun'];
const A_CROP = path.join(DATA, 'newgame8', 'faces', 'ahagon_umiko', '0.jpg');

/** A read-only connection once the schema exists. Never leaves one open behind: the CLI must be
 * the last to close for SQLite to checkpoint and remove the WAL, which the SIGTERM tests check. */
function tryOpen(dataDir: string): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    db = openDb(dataDir);
    db.prepare('SELECT 1 FROM labels LIMIT 1').get(); // schema is there
    return db;
  } catch {
    db?.close();
    return undefined;
  }
}

interface Acknowledged {
  taught: Map<number, string>; // face id → source path
  counts: ReturnType<typeof counts>;
}

function acknowledged(db: Database.Database): Acknowledged {
  const rows = db
    .prepare(
      "SELECT l.face_id, i.source_path FROM labels l JOIN faces f ON f.id = l.face_id JOIN images i ON i.id = f.image_id WHERE l.source = 'taught'",
    )
    .all() as Array<{ face_id: number; source_path: string }>;
  return { taught: new Map(rows.map((r) => [r.face_id, r.source_path])), counts: counts(db) };
}

/** Waits until `ready` holds (read from outside), notes what is committed, then kill -9s the group. */
async function killWhen(
  cli: CliProcess,
  dataDir: string,
  what: string,
  ready: (db: Database.Database) => boolean,
  delayMs = 0,
): Promise<Acknowledged> {
  const db = await waitFor(`${what}: database`, () => {
    if (cli.child.exitCode !== null) throw new Error(`exited early (${cli.child.exitCode}): ${cli.stderr()}`);
    return tryOpen(dataDir);
  });
  try {
    await waitFor(
      what,
      () => {
        if (cli.child.exitCode !== null)
          throw new Error(`${what}: the process finished before the kill: ${cli.stdout()} ${cli.stderr()}`);
        return ready(db) ? true : undefined;
      },
      120_000,
      5,
    );
    if (delayMs > 0) await sleep(delayMs);
    const ack = acknowledged(db);
    process.kill(-cli.child.pid!, 'SIGKILL');
    const exit = await cli.exited;
    assert.equal(exit.signal, 'SIGKILL', `${what}: killed, not finished`);
    return ack;
  } finally {
    db.close();
  }
}

/** After a kill: intact, nothing acknowledged lost, every face with its crop and embedding. */
function assertSurvived(dataDir: string, ack: Acknowledged, what: string): ReturnType<typeof counts> {
  const db = openDb(dataDir);
  try {
    assertConsistent(dataDir, { db, allowTempFiles: true });
    const after = acknowledged(db);
    for (const [faceId, source] of ack.taught) {
      assert.equal(
        after.taught.get(faceId),
        source,
        `${what}: taught face ${faceId} (${source}) was acknowledged and is gone`,
      );
    }
    assert.ok(after.taught.size >= ack.taught.size, `${what}: ${after.taught.size} < ${ack.taught.size} taught`);
    return after.counts;
  } finally {
    db.close();
  }
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Restarts on the data folder (tags one crop) and checks the head caught up with every label. */
async function restart(dataDir: string, what: string): Promise<void> {
  const r = await run(['--data', dataDir, 'tag', A_CROP, '--crops', '--json']);
  assert.equal(r.code, 0, `${what}: restart: ${r.stderr}`);
  assert.equal(jsonLines(r.stdout)[0].error, null);
  const db = openDb(dataDir);
  try {
    const human = (
      db
        .prepare("SELECT COUNT(*) AS n FROM current_labels WHERE source IN ('taught','corrected','confirmed')")
        .get() as { n: number }
    ).n;
    const head = db
      .prepare("SELECT trained_on FROM head_versions WHERE guild_id = 'local' ORDER BY id DESC LIMIT 1")
      .get() as { trained_on: number } | undefined;
    if (human > 0) assert.equal(head?.trained_on, human, `${what}: the head was refit on every taught face at restart`);
  } finally {
    db.close();
  }
}

function activeModel(dataDir: string): string {
  const db = openDb(dataDir);
  try {
    return (db.prepare('SELECT id FROM model_versions WHERE active = 1').get() as { id: string }).id;
  } finally {
    db.close();
  }
}

const skip = skipUnless(
  'crash safety',
  sharedData('newgame8'),
  sharedData('nagadomi10'),
  sharedData('keima3'),
  sharedData('screenshots_syncopika', 'boxes.csv'),
  mirroredModel('mobilenetv2_12_int8'),
);

describe('crash safety', { skip, timeout: 8 * 60_000 }, () => {
  it('kill -9 during an import of face crops loses nothing that was committed', async () => {
    const data = tempDir('idoltag-crash-import-');
    const cli = startCli(['--data', data, 'import', NEWGAME, '--crops', ...ALIAS]);
    const ack = await killWhen(cli, data, '40 taught', (db) => counts(db).taught >= 40);
    const after = assertSurvived(data, ack, 'import');
    assert.ok(after.taught < 272, 'killed before the end');
    console.log(`import: killed with ${ack.taught.size} taught acknowledged, ${after.taught} found after`);
    await restart(data, 'import');
  });

  it('kill -9 at random points while teaching screenshots (detection, originals kept) loses nothing committed', async () => {
    const data = tempDir('idoltag-crash-teach-');
    const tree = tempDir('idoltag-crash-tree-');
    const shots = readdirSync(path.join(DATA, 'screenshots_syncopika', 'images'))
      .sort()
      .slice(0, 24);
    for (const [i, name] of shots.entries()) {
      const dir = path.join(tree, i % 2 ? 'alice' : 'bob');
      mkdirSync(dir, { recursive: true });
      symlinkSync(path.join(DATA, 'screenshots_syncopika', 'images', name), path.join(dir, name));
    }
    let before = 0;
    for (const delay of [0, 150, 400]) {
      const cli = startCli(['--data', data, 'import', tree]);
      const target = before + 2;
      const ack = await killWhen(cli, data, `${target} taught`, (db) => counts(db).taught >= target, delay);
      const after = assertSurvived(data, ack, `teach (kill after ${delay} ms)`);
      before = after.taught;
    }
    const db = openDb(data);
    const kept = (db.prepare('SELECT COUNT(*) AS n FROM images WHERE stored_path IS NOT NULL').get() as { n: number })
      .n;
    db.close();
    assert.ok(kept >= before, 'originals kept for taught screenshots');
    console.log(`teaching: 3 kills, ${before} taught examples intact`);
    await restart(data, 'teach');
  });

  it('kill -9 during the final head refit of a large import: labels intact, old head serves, refit on restart', async () => {
    const data = tempDir('idoltag-crash-refit-');
    assert.equal((await run(['--data', data, 'import', path.join(DATA, 'keima3', 'labels.csv'), '--crops'])).code, 0);
    const cli = startCli(['--data', data, 'import', NAGADOMI, '--crops']);
    // keima3 and nagadomi10 each hold one file twice (same bytes, same character): taught once.
    const ack = await killWhen(
      cli,
      data,
      'all 107 + 973 taught, refit running',
      (db) => counts(db).taught >= 107 + 973,
    );
    const after = assertSurvived(data, ack, 'refit');
    assert.equal(after.taught, 107 + 973);
    const db = openDb(data);
    const heads = db.prepare('SELECT trained_on FROM head_versions').all() as Array<{ trained_on: number }>;
    db.close();
    assert.deepEqual(heads, [{ trained_on: 107 }], 'killed while the new head was being fit: the old head is intact');
    await restart(data, 'refit');
    const r = await run(['--data', data, 'tag', path.join(DATA, 'nagadomi10', 'faces', 'shana'), '--crops', '--json']);
    const named = jsonLines(r.stdout).filter((l) => l.faces[0]?.label === 'shana').length;
    assert.ok(named > 0, 'the refit head names taught characters');
  });

  // The second embedder to swap to is trained here, so this case needs PyTorch besides the suite's data.
  it('kill -9 during a model swap leaves the previous model serving; the swap resumes and completes', {
    skip: skipUnless('crash safety: a model swap killed mid-way', torch()),
    timeout: 4 * 60_000,
  }, async () => {
    const data = tempDir('idoltag-crash-swap-');
    // A few crops of each character are enough to train a model to swap to, and keep the training short.
    assert.equal((await run(['--data', data, 'import', labelledSubset('newgame8', 8), '--crops', ...ALIAS])).code, 0);
    const trained = await run([
      '--data',
      data,
      'train',
      'backbone',
      '--force',
      '--epochs',
      '1',
      '--max-steps',
      '1',
      '--device',
      'cpu',
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const db0 = openDb(data);
    const versions = db0.prepare('SELECT id, path, active FROM model_versions').all() as Array<{
      id: string;
      path: string;
      active: number;
    }>;
    db0.close();
    assert.equal(versions.length, manifestEmbedders().length + 1, 'every manifest embedder and the trained one');
    const serving = versions.find((v) => v.active)!.id;
    const trainedVersion = versions.find((v) => !v.path.startsWith('manifest:'))!.id;
    // Swap between the trained model and the shipped default, whichever of them does not serve.
    const target = serving === trainedVersion ? resolveVersionName('default') : trainedVersion;
    // Faces taught after the training lack embeddings under the other version: the swap re-embeds them.
    assert.equal((await run(['--data', data, 'import', path.join(DATA, 'keima3', 'labels.csv'), '--crops'])).code, 0);

    const start = (() => {
      const db = openDb(data);
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM embeddings WHERE model_version = ?').get(target) as { n: number })
          .n;
      } finally {
        db.close();
      }
    })();
    const cli = startCli(['--data', data, 'model', 'activate', target]);
    const ack = await killWhen(
      cli,
      data,
      're-embedding under way',
      (db) =>
        (db.prepare('SELECT COUNT(*) AS n FROM embeddings WHERE model_version = ?').get(target) as { n: number }).n >
        start,
    );
    assertSurvived(data, ack, 'swap');
    assert.equal(activeModel(data), serving, 'the previous model still serves');
    const tagged = await run(['--data', data, 'tag', A_CROP, '--crops', '--json']);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.equal(jsonLines(tagged.stdout)[0].error, null, 'tags with the previous model');
    const db = openDb(data);
    const last = db
      .prepare('SELECT e.model_version FROM embeddings e JOIN faces f ON f.id = e.face_id ORDER BY f.id DESC LIMIT 1')
      .get() as { model_version: string };
    db.close();
    assert.equal(last.model_version, serving, 'the new face was embedded by the previous model');

    const resumed = await run(['--data', data, 'model', 'activate', target]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Now serving/);
    assert.equal(activeModel(data), target);
    assertConsistent(data, { allowTempFiles: true }); // every face has an embedding under the new model
  });

  it('a backup taken while another process writes restores to a data folder the CLI can read', async () => {
    const data = tempDir('idoltag-backup-src-');
    const backupFile = path.join(tempDir('idoltag-backup-out-'), 'idoltag-backup.sqlite');
    const writer = startCli(['--data', data, 'import', NAGADOMI, '--crops']);
    await waitFor(
      'the writer to commit',
      () => {
        const db = tryOpen(data);
        const n = db ? counts(db).taught : 0;
        db?.close();
        return n >= 100 ? true : undefined;
      },
      60_000,
      50,
    );
    const backup = await run(['--data', data, 'backup', backupFile]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(writer.child.exitCode, null, 'the writer was still writing during the backup');
    // Files after the database (docs/backup.md): every crop the copy names was written before it.
    const restored = tempDir('idoltag-backup-restored-');
    copyFileSync(backupFile, path.join(restored, 'idoltag.sqlite'));
    for (const dir of ['crops', 'images', 'models']) {
      if (existsSync(path.join(data, dir))) cpSync(path.join(data, dir), path.join(restored, dir), { recursive: true });
    }
    const { code } = await writer.exited;
    assert.equal(code, 0, writer.stderr());

    assert.ok(!existsSync(`${backupFile}-wal`), 'the backup is one self-contained file');
    const db = openDb(restored);
    const c = counts(db);
    db.close();
    assert.ok(c.taught >= 100 && c.taught < 974, `the backup is a snapshot taken mid-import (${c.taught} taught)`);
    assertConsistent(restored);
    const listed = await run(['--data', restored, 'characters']);
    assert.equal(listed.code, 0, listed.stderr);
    const total = listed.stdout
      .trim()
      .split('\n')
      .reduce((n, line) => n + Number(line.split('\t')[1]), 0);
    assert.equal(total, c.taught, 'characters lists every taught face of the snapshot');
    console.log(`backup: snapshot of ${c.taught} taught faces taken mid-import, restored and read`);
    await restart(restored, 'restored backup');
  });

  it('SIGTERM stops an import after the current file, with everything so far committed and the database closed', async () => {
    const data = tempDir('idoltag-sigterm-');
    const cli = startCli(['--data', data, 'import', NEWGAME, '--crops', ...ALIAS]);
    await waitFor(
      '30 taught',
      () => {
        const db = tryOpen(data);
        const n = db ? counts(db).taught : 0;
        db?.close();
        return n >= 30 ? true : undefined;
      },
      60_000,
      20,
    );
    const sent = Date.now();
    process.kill(cli.child.pid!, 'SIGTERM');
    const { code, signal } = await cli.exited;
    console.log(`SIGTERM: import stopped in ${Date.now() - sent} ms`);
    assert.equal(signal, null, 'exited by itself');
    assert.equal(code, 143);
    assert.match(cli.stderr(), /Stopped by SIGTERM after \d+ of 272 files/);
    const taught = Number(/Taught (\d+) faces/.exec(cli.stdout())?.[1]);
    assert.ok(taught >= 30 && taught < 272, cli.stdout());
    assert.ok(
      !existsSync(path.join(data, 'idoltag.sqlite-wal')),
      'the database was closed (WAL checkpointed and removed)',
    );
    const db = openDb(data);
    const c = counts(db);
    const head = db.prepare('SELECT trained_on FROM head_versions ORDER BY id DESC LIMIT 1').get() as {
      trained_on: number;
    };
    db.close();
    assert.equal(c.taught, taught, 'every file it reported is committed');
    assert.equal(head.trained_on, taught, 'and the head was refit on them before exiting');
    assertConsistent(data);
  });

  it('SIGTERM stops a tag run after the current file; every printed line is committed', async () => {
    const data = tempDir('idoltag-sigterm-tag-');
    const cli = startCli(['--data', data, 'tag', NAGADOMI, '--split', 'test', '--crops', '--json']);
    await waitFor('10 lines', () => (cli.stdout().split('\n').length > 10 ? true : undefined), 60_000, 10);
    process.kill(cli.child.pid!, 'SIGTERM');
    const { code } = await cli.exited;
    assert.equal(code, 143, cli.stderr());
    const lines = jsonLines(cli.stdout());
    assert.ok(lines.length >= 10 && lines.length < 185);
    assert.match(cli.stderr(), new RegExp(`Stopped by SIGTERM after ${lines.length} of 185 files`));
    assert.ok(!existsSync(path.join(data, 'idoltag.sqlite-wal')));
    const db = openDb(data);
    assert.equal(counts(db).images, lines.length);
    db.close();
    assertConsistent(data);
  });
});
