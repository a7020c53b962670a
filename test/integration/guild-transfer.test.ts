/**
 * `idoltag guild export` / `guild import` round trip: a guild taught, tagged and corrected in one
 * data folder arrives whole in another (faces, crops, screenshots, embeddings, labels with who and
 * when, head versions, watched channels), and nothing of the other guild comes along.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { openServices, type Services } from '../../src/services/index.ts';

const GUILD = '1100000000000000001';
const OTHER = '1100000000000000002';
const skip = skipUnless('guild export / import', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));

function cropFiles(label: string, split: string, count: number): string[] {
  const rows = readFileSync(path.join(DATA, 'nagadomi10', 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((r) => r.split(','));
  return rows
    .filter((r) => r[1] === label && r[3] === split)
    .slice(0, count)
    .map((r) => path.join(DATA, 'nagadomi10', r[0]));
}

async function teach(services: Services, guildId: string, character: string, files: string[]): Promise<void> {
  await services.teaching.teach({
    guildId,
    character,
    by: 'teacher-1',
    crops: true,
    previews: false,
    images: files.map((f) => ({
      bytes: readFileSync(f),
      name: path.basename(f),
      source: { kind: 'import' as const, path: f },
    })),
  });
}

/** The guild as plain data, with ids replaced by positions so two databases compare. */
function snapshot(dataDir: string, guildId: string) {
  const db = new Database(path.join(dataDir, 'idoltag.sqlite'), { readonly: true });
  try {
    const faces = db
      .prepare(
        'SELECT f.*, i.sha256, i.stored_path, i.source_kind, i.channel_id, i.message_id, i.author_id FROM faces f JOIN images i ON i.id = f.image_id WHERE f.guild_id = ? ORDER BY f.id',
      )
      .all(guildId) as any[];
    const faceIndex = new Map(faces.map((f, i) => [f.id, i]));
    const labels = db
      .prepare(
        `SELECT l.face_id, c.display_name, l.source, l.confidence, l.by_user, l.created_at, l.head_version IS NOT NULL AS has_head
         FROM labels l LEFT JOIN characters c ON c.id = l.character_id WHERE l.guild_id = ? ORDER BY l.id`,
      )
      .all(guildId) as any[];
    const heads = db
      .prepare(
        'SELECT head_json, head_arrays, characters, trained_on, created_at FROM head_versions WHERE guild_id = ? ORDER BY id',
      )
      .all(guildId) as any[];
    const embeddings = db
      .prepare(
        'SELECT e.face_id, e.model_version, e.vector FROM embeddings e JOIN faces f ON f.id = e.face_id WHERE f.guild_id = ? ORDER BY e.face_id',
      )
      .all(guildId) as any[];
    return {
      faces: faces.map((f) => ({
        box: [f.x, f.y, f.w, f.h],
        detector: f.detector,
        score: f.score,
        created_at: f.created_at,
        image: [f.sha256, f.source_kind, f.channel_id, f.message_id, f.author_id],
        crop: readFileSync(path.join(dataDir, f.crop_path)).toString('base64'),
        screenshot: f.stored_path ? readFileSync(path.join(dataDir, f.stored_path)).toString('base64') : null,
      })),
      labels: labels.map((l) => ({ ...l, face_id: faceIndex.get(l.face_id) })),
      heads: heads.map((h) => ({ ...h, head_arrays: h.head_arrays?.toString('base64') })),
      embeddings: embeddings.map((e) => ({
        face: faceIndex.get(e.face_id),
        model: e.model_version,
        vector: e.vector.toString('base64'),
      })),
      characters: db
        .prepare('SELECT display_name, created_by, created_at FROM characters WHERE guild_id = ? ORDER BY id')
        .all(guildId) as any[],
      watched: db
        .prepare('SELECT channel_id, added_by FROM watched_channels WHERE guild_id = ? ORDER BY channel_id')
        .all(guildId) as any[],
    };
  } finally {
    db.close();
  }
}

function guildsIn(dataDir: string): string[] {
  const db = new Database(path.join(dataDir, 'idoltag.sqlite'), { readonly: true });
  try {
    const tables = ['characters', 'images', 'faces', 'labels', 'head_versions', 'watched_channels', 'training_runs'];
    const rows = tables.flatMap(
      (t) =>
        db.prepare(`SELECT DISTINCT guild_id FROM ${t} WHERE guild_id IS NOT NULL`).all() as Array<{
          guild_id: string;
        }>,
    );
    return [...new Set(rows.map((r) => r.guild_id))].sort();
  } finally {
    db.close();
  }
}

describe('idoltag guild export / import', { skip, timeout: 600_000 }, () => {
  const source = tempDir('idoltag-guild-src-');
  const target = tempDir('idoltag-guild-dst-');
  const archive = path.join(tempDir('idoltag-guild-archive-'), 'guild.idoltag');
  let correctedFace = -1;

  before(async () => {
    const services = await openServices(serviceOptionsFor(source));
    try {
      await teach(services, GUILD, 'Hatsune Miku', cropFiles('hatsune_miku', 'train', 4));
      await teach(services, GUILD, 'Shana', cropFiles('shana', 'train', 4));
      await teach(services, OTHER, 'Akiyama Mio', cropFiles('akiyama_mio', 'train', 3));
      services.watch.add(GUILD, '1100000000000000101', 'admin-1');
      services.watch.add(OTHER, '1100000000000000201', 'admin-2');
      // A tagged screenshot (a prediction), then a person corrects it and confirms another.
      const tagged = await services.tagging.tagImage({
        guildId: GUILD,
        bytes: readFileSync(cropFiles('suzumiya_haruhi', 'test', 1)[0]),
        fileName: 'haruhi.jpg',
        crops: true,
        keepOriginal: true,
        source: {
          kind: 'discord',
          channelId: '1100000000000000101',
          messageId: '1100000000000000301',
          url: 'https://cdn.discordapp.com/x.jpg',
          authorId: 'fan-1',
        },
      });
      correctedFace = tagged.faces[0].faceId;
      await services.corrections.relabel(GUILD, correctedFace, 'Suzumiya Haruhi', 'fan-2');
      const miku = await services.tagging.tagImage({
        guildId: GUILD,
        bytes: readFileSync(cropFiles('hatsune_miku', 'test', 1)[0]),
        fileName: 'miku.jpg',
        crops: true,
        source: {
          kind: 'discord',
          channelId: '1100000000000000101',
          messageId: '1100000000000000302',
          url: 'https://cdn.discordapp.com/y.jpg',
          authorId: 'fan-1',
        },
      });
      await services.corrections.relabel(GUILD, miku.faces[0].faceId, 'Hatsune Miku', 'fan-3');
    } finally {
      await services.close();
    }
  });

  after(() => {
    for (const dir of [source, target, path.dirname(archive)]) rmSync(dir, { recursive: true, force: true });
  });

  it('exports one guild and imports it whole into another data folder', async () => {
    const exported = await runCli(['--data', source, 'guild', 'export', GUILD, archive]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported guild 1100000000000000001: 3 characters, 10 faces/);
    const imported = await runCli(['--data', target, 'guild', 'import', archive]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported guild 1100000000000000001: 3 characters, 10 faces/);

    const before = snapshot(source, GUILD);
    const moved = snapshot(target, GUILD);
    assert.equal(moved.faces.length, 10);
    assert.deepEqual(moved.faces, before.faces, 'every face with its box, crop and screenshot');
    assert.deepEqual(moved.characters, before.characters);
    assert.deepEqual(moved.labels, before.labels, 'every label, with who and when, in the same order');
    assert.ok(
      moved.labels.some(
        (l) => l.source === 'corrected' && l.display_name === 'Suzumiya Haruhi' && l.by_user === 'fan-2',
      ),
    );
    assert.deepEqual(moved.embeddings, before.embeddings);
    assert.deepEqual(moved.heads, before.heads, 'every head version, weights included');
    assert.deepEqual(moved.watched, before.watched);
  });

  it('carries the roster packs the guild added, with the characters it taught under them', async () => {
    const [from, to] = [tempDir('idoltag-transfer-packs-from-'), tempDir('idoltag-transfer-packs-to-')];
    const a = await openServices(serviceOptionsFor(from));
    try {
      await a.roster.add(GUILD, 'million-live');
      await teach(a, GUILD, 'miki', cropFiles('hatsune_miku', 'train', 2));
      a.guildTransfer.exportGuild(GUILD, path.join(from, 'guild.idoltag'));
    } finally {
      await a.close();
    }
    const b = await openServices(serviceOptionsFor(to));
    try {
      await b.guildTransfer.importGuild(path.join(from, 'guild.idoltag'));
      assert.deepEqual(
        b.roster.added(GUILD).map((p) => p.id),
        ['million-live'],
      );
      const miki = b.characters.find(GUILD, 'miki');
      assert.deepEqual(
        [miki?.name, miki?.faces, miki?.franchise],
        ['Hoshii Miki', 2, b.roster.added(GUILD)[0].franchise],
      );
      assert.equal(b.characters.list(GUILD).length, 52);
    } finally {
      await b.close();
    }
  });

  it('brings nothing of another guild', () => {
    assert.deepEqual(guildsIn(target), [GUILD]);
    assert.ok(!existsSync(path.join(target, 'crops', OTHER)), 'no crops of the other guild');
    const crops = readdirSync(path.join(target, 'crops', GUILD));
    assert.equal(crops.length, 10);
  });

  it('the imported head names faces as the original does', async () => {
    const [a, b] = [await openServices(serviceOptionsFor(source)), await openServices(serviceOptionsFor(target))];
    try {
      for (const file of [...cropFiles('shana', 'test', 2), ...cropFiles('hatsune_miku', 'test', 3).slice(1)]) {
        const request = {
          guildId: GUILD,
          bytes: readFileSync(file),
          crops: true,
          source: { kind: 'file' as const, path: file },
        };
        const [ra, rb] = [await a.tagging.tagImage(request), await b.tagging.tagImage(request)];
        assert.equal(rb.faces[0].label, ra.faces[0].label);
        assert.ok(Math.abs(rb.faces[0].confidence - ra.faces[0].confidence) < 1e-6);
      }
      assert.equal(b.heads.current(GUILD)?.head.labels.length, a.heads.current(GUILD)?.head.labels.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a second import of the same guild and a file that is not an archive, changing nothing', async () => {
    const counts = snapshot(target, GUILD);
    const again = await runCli(['--data', target, 'guild', 'import', archive]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already has data in this folder.*Nothing was imported/s);
    const bogus = path.join(path.dirname(archive), 'notes.txt');
    writeFileSync(bogus, 'not a database');
    const wrong = await runCli(['--data', target, 'guild', 'import', bogus]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /is not a guild archive/);
    assert.deepEqual(snapshot(target, GUILD), counts);
    const missing = await runCli(['--data', source, 'guild', 'export', '1100000000000000999', archive]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /holds nothing of guild/);
    assert.ok(existsSync(archive), 'the earlier archive is untouched');
  });
});
