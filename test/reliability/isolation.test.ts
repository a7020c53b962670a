/**
 * Two guilds in one data folder, through the services API: neither ever sees the other's
 * characters, images, gallery, faces, corrections or predictions, and nothing one guild does can
 * change the other's data.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openServices, UserInputError, type Services } from '../../src/services/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { assertConsistent, openDb } from './helpers.ts';

const A = '100000000000000001';
const B = '200000000000000002';
const MIO = 'Akiyama Mio';

function crops(label: string): Buffer[] {
  const rows = readFileSync(path.join(DATA, 'nagadomi10', 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return rows
    .filter((r) => r.split(',')[1] === label)
    .map((r) => readFileSync(path.join(DATA, 'nagadomi10', r.split(',')[0])));
}

const discord = (guild: string, n: number) => ({
  kind: 'discord' as const,
  channelId: `${guild.slice(0, 2)}000000000000000${n}`,
  messageId: `9${n}000000000000000`,
  url: `https://cdn.discordapp.com/attachments/1/${n}/shot.png`,
  authorId: '300000000000000003',
  fileName: 'shot.png',
});

describe('guild isolation (services)', {
  skip: skipUnless('guild isolation', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8')),
  timeout: 3 * 60_000,
}, () => {
  const data = tempDir('idoltag-isolation-');
  // Reads the database from outside, as another process would.
  const readDb = <T>(read: (db: ReturnType<typeof openDb>) => T): T => {
    const db = openDb(data);
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  let s: Services;
  // The rows the services wrote, read beside them (the services do not hand out their store).
  let store: Store;
  const mio = crops('akiyama_mio');
  const reimu = crops('hakurei_reimu');
  const miku = crops('hatsune_miku');
  let faceA: number;
  let imageA: number;

  before(async () => {
    s = await openServices(serviceOptionsFor(data));
    store = openStore(data);
    // Guild A knows Mio and Miku; guild B knows Reimu.
    await s.teaching.teach({
      guildId: A,
      character: MIO,
      by: 'a-admin',
      crops: true,
      images: mio.slice(0, 12).map((bytes, i) => ({ bytes, name: `mio-${i}.jpg` })),
    });
    await s.teaching.teach({
      guildId: A,
      character: 'Hatsune Miku',
      by: 'a-admin',
      crops: true,
      images: miku.slice(0, 12).map((bytes, i) => ({ bytes, name: `miku-${i}.jpg` })),
    });
    await s.teaching.teach({
      guildId: B,
      character: 'Hakurei Reimu',
      by: 'b-admin',
      crops: true,
      images: reimu.slice(0, 12).map((bytes, i) => ({ bytes, name: `reimu-${i}.jpg` })),
    });
    const tagged = await s.tagging.tagImage({ guildId: A, bytes: mio[20], source: discord(A, 1), crops: true });
    faceA = tagged.faces[0].faceId;
    imageA = tagged.imageId;
    assert.equal(tagged.faces[0].label, MIO, 'guild A names its own character');
    await s.corrections.confirm(A, faceA, 'a-user');
    s.watch.add(A, '110000000000000001', 'a-admin');
  });

  after(async () => {
    store?.close();
    await s?.close();
  });

  it('lists, counts and stats show only the guild’s own data', async () => {
    assert.deepEqual(
      s.characters.list(B).map((c) => c.name),
      ['Hakurei Reimu'],
    );
    assert.deepEqual(
      s.characters
        .list(A)
        .map((c) => c.name)
        .sort(),
      [MIO, 'Hatsune Miku'],
    );
    const statsB = await s.stats(B);
    assert.deepEqual([statsB.characters, statsB.faces, statsB.images], [1, 12, 12]);
    assert.deepEqual(store.images.counts(A), { images: 25, faces: 25 });
    assert.deepEqual(store.labels.countHuman(B), 12);
    assert.deepEqual(s.watch.list(B), []);
    assert.equal(s.watch.isWatched(B, '110000000000000001'), false);
    assert.equal(s.watch.remove(B, '110000000000000001'), false, "B cannot unwatch A's channel");
    assert.deepEqual(s.watch.list(A), ['110000000000000001']);
  });

  it("another guild's images, faces and gallery are invisible", async () => {
    assert.equal(store.images.image(B, imageA), undefined);
    assert.equal(store.images.face(B, faceA), undefined);
    assert.equal(s.corrections.faceView(B, faceA), undefined);
    assert.equal(await s.gallery.thumbnail(B, imageA), undefined);
    assert.ok(await s.gallery.thumbnail(A, imageA), 'A sees its own thumbnail');
    assert.equal(s.gallery.page({ guildId: B, character: MIO, page: 0, pageSize: 5 }).total, 0);
    assert.equal(s.gallery.page({ guildId: B, character: MIO, page: 0, pageSize: 5 }).character, null);
    const pageA = s.gallery.page({ guildId: A, character: MIO, page: 0, pageSize: 5 });
    assert.ok(pageA.total >= 1 && pageA.items.some((i) => i.imageId === imageA));
  });

  it("corrections of guild A's face from guild B are refused and change nothing", async () => {
    const labelCount = () =>
      readDb((db) => db.prepare('SELECT COUNT(*) AS n FROM labels WHERE face_id = ?').get(faceA));
    const before = labelCount();
    await assert.rejects(s.corrections.relabel(B, faceA, 'Hakurei Reimu', 'b-user'), UserInputError);
    await assert.rejects(s.corrections.confirm(B, faceA, 'b-user'), UserInputError);
    await assert.rejects(s.corrections.notACharacter(B, faceA, 'b-user'), UserInputError);
    assert.deepEqual(labelCount(), before);
    assert.equal(s.corrections.faceView(A, faceA)?.label, MIO);
    assert.equal(s.characters.list(B).length, 1, 'no character was created in B by the refused relabel');
  });

  it("character housekeeping in B cannot touch A's characters", async () => {
    await assert.rejects(s.characters.rename(B, MIO, 'Renamed'), UserInputError);
    await assert.rejects(s.characters.merge(B, MIO, 'Hakurei Reimu'), UserInputError);
    await assert.rejects(s.characters.remove(B, MIO), UserInputError);
    assert.deepEqual(
      s.characters.list(A).find((c) => c.name === MIO),
      { name: MIO, faces: 13 },
    );
  });

  it('a character taught in guild A is unknown in guild B, and the reverse', async () => {
    for (const bytes of mio.slice(20, 26)) {
      const r = await s.tagging.tagImage({ guildId: B, bytes, source: discord(B, 2), crops: true });
      assert.notEqual(r.faces[0].label, MIO);
      assert.ok(!r.faces[0].candidates.some((c) => c.label === MIO), 'not even as a candidate');
    }
    for (const bytes of reimu.slice(20, 26)) {
      const r = await s.tagging.tagImage({ guildId: A, bytes, source: discord(A, 3), crops: true });
      assert.ok(!r.faces[0].candidates.some((c) => c.label === 'Hakurei Reimu'));
    }
    assert.ok(!s.heads.current(B)!.head.labels.includes('akiyama mio'));
  });

  it('the same name in two guilds is two characters; changes in one leave the other alone', async () => {
    await s.teaching.teach({
      guildId: B,
      character: MIO,
      by: 'b-admin',
      crops: true,
      images: miku.slice(30, 35).map((bytes, i) => ({ bytes, name: `b-${i}.jpg` })),
    });
    const idA = store.characters.find(A, MIO)!.id;
    const idB = store.characters.find(B, MIO)!.id;
    assert.notEqual(idA, idB);
    await s.characters.merge(A, 'Hatsune Miku', MIO);
    await s.characters.rename(B, MIO, 'Not Mio');
    assert.deepEqual(s.characters.list(A), [{ name: MIO, faces: 25 }]);
    assert.deepEqual(
      s.characters
        .list(B)
        .map((c) => [c.name, c.faces])
        .sort(),
      [
        ['Hakurei Reimu', 12],
        ['Not Mio', 5],
      ],
    );
    await s.characters.remove(B, 'Not Mio');
    assert.deepEqual(s.characters.list(A), [{ name: MIO, faces: 25 }]);
    // Crops are filed per guild.
    const paths = readDb((db) => db.prepare('SELECT guild_id, crop_path FROM faces').all()) as Array<{
      guild_id: string;
      crop_path: string;
    }>;
    for (const p of paths) assert.ok(p.crop_path.startsWith(path.join('crops', p.guild_id) + path.sep), p.crop_path);
    assertConsistent(data);
  });

  it('teaching an image again adds nothing in that guild, and is no duplicate in another', async () => {
    const faces = store.images.counts(A).faces;
    const again = await s.teaching.teach({
      guildId: A,
      character: 'akiyama mio',
      by: 'a-admin',
      crops: true,
      images: [
        { bytes: mio[0], name: 'again.jpg' },
        { bytes: mio[30], name: 'new.jpg' },
      ],
    });
    assert.deepEqual(
      again.results.map((r) => [r.ok, r.duplicate ?? false]),
      [
        [false, true],
        [true, false],
      ],
    );
    assert.match(again.results[0].error!, /Already taught as Akiyama Mio/);
    assert.equal(store.images.counts(A).faces, faces + 1);
    const inB = await s.teaching.teach({
      guildId: B,
      character: MIO,
      by: 'b-admin',
      crops: true,
      images: [{ bytes: mio[0], name: 'b.jpg' }],
    });
    assert.equal(inB.results[0].ok, true);
    assertConsistent(data);
  });
});

describe('guild isolation (Discord message links)', () => {
  // A member of guild A pastes a link whose guild part says A but whose channel is in guild B (the
  // bot is in both): the link's text passes the guild check, so the fetched channel must be checked.
  it("a message link with this guild's id but another guild's channel is refused", async () => {
    const { fetchLinkedMessage } = await import('../../src/discord/image-sources.ts');
    const foreignMessage = { id: '300000000000000003', attachments: new Map() };
    const client = {
      channels: {
        fetch: async () => ({ guildId: B, isTextBased: () => true, messages: { fetch: async () => foreignMessage } }),
      },
    };
    const link = `https://discord.com/channels/${A}/200000000000000022/300000000000000003`;
    await assert.rejects(
      fetchLinkedMessage(client as never, link, A),
      /only look at messages from this server|couldn't open/,
    );
  });
});
