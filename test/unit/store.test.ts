import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrate, openDatabase } from '../../src/store/database.ts';
import { characterKey } from '../../src/store/characters.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/paths.ts';

function seedFace(store: ReturnType<typeof openStore>, guild: string) {
  const imageId = store.images.insertImage({
    guild_id: guild,
    sha256: 'ab'.repeat(32),
    source_kind: 'file',
    source_path: '/x.png',
    channel_id: null,
    message_id: null,
    url: null,
    author_id: null,
    stored_path: null,
    width: 10,
    height: 10,
  });
  return store.images.insertFace({
    guild_id: guild,
    image_id: imageId,
    x: 0,
    y: 0,
    w: 10,
    h: 10,
    detector: 'whole',
    detector_settings: '{}',
    score: 1,
    crop_path: 'c.png',
  });
}

describe('SQLite store', () => {
  it('applies migrations once, in WAL mode with foreign keys', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const store = openStore(dir, db);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    const version = db.pragma('user_version', { simple: true });
    assert.equal(migrate(db), version, 'a second run changes nothing');
    store.close();
  });

  it('keeps human labels over newer predictions, and the newest human label wins', () => {
    const store = openStore(tempDir());
    const face = seedFace(store, 'g1');
    const miki = store.characters.findOrCreate('g1', 'Hoshii Miki').character;
    const haruka = store.characters.findOrCreate('g1', 'Amami Haruka').character;
    store.labels.add({ guildId: 'g1', faceId: face, characterId: miki.id, source: 'predicted', confidence: 0.7 });
    assert.equal(store.labels.current(face)?.source, 'predicted');
    store.labels.add({ guildId: 'g1', faceId: face, characterId: haruka.id, source: 'corrected', by: 'u1' });
    store.labels.add({ guildId: 'g1', faceId: face, characterId: miki.id, source: 'predicted', confidence: 0.9 });
    assert.deepEqual(
      [store.labels.current(face)?.source, store.labels.current(face)?.character_id],
      ['corrected', haruka.id],
    );
    store.labels.add({ guildId: 'g1', faceId: face, characterId: null, source: 'not_character', by: 'u2' });
    assert.equal(store.labels.current(face)?.source, 'not_character');
    store.close();
  });

  it('scopes characters by guild and normalises names', () => {
    const store = openStore(tempDir());
    assert.equal(characterKey('  Hoshii   MIKI '), 'hoshii miki');
    const a = store.characters.findOrCreate('g1', 'Hoshii Miki');
    const again = store.characters.findOrCreate('g1', 'hoshii  miki');
    assert.equal(again.created, false);
    assert.equal(again.character.id, a.character.id);
    const other = store.characters.findOrCreate('g2', 'Hoshii Miki');
    assert.equal(other.created, true);
    assert.equal(store.characters.find('g3', 'Hoshii Miki'), undefined);
    store.close();
  });

  it('rolls a failed transaction back completely', () => {
    const store = openStore(tempDir());
    assert.throws(() =>
      store.transaction(() => {
        seedFace(store, 'g1');
        throw new Error('crash half-way');
      }),
    );
    assert.deepEqual(store.images.counts('g1'), { images: 0, faces: 0 });
    store.close();
  });
});
