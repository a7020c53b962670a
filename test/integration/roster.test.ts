/**
 * Roster packs end to end in the services: a pack built from a shared set (with the product's own
 * embedding path) is installed in a new data folder, added to a guild, and names that set's held-out
 * faces; names and aliases resolve (an ambiguous one is refused with both choices); teaching a pack
 * character adds to it; removing the pack keeps everything people taught; a bad file leaves nothing.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/integration/roster.test.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePack, PackFileError } from '../../src/core/packs/pack-file.ts';
import { openServices, UserInputError, type Services } from '../../src/services/index.ts';
import { AmbiguousCharacterError } from '../../src/services/character-names.ts';
import { folderSource } from '../../src/services/packs/build.ts';
import { tempDir } from '../helpers/paths.ts';
import { sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';
import { pick } from './eval-fixture.ts';

const skip = skipUnless('roster packs', sharedData('nagadomi10'));
const CHARACTERS = ['hatsune_miku', 'hakurei_reimu', 'izumi_konata', 'kinomoto_sakura', 'suzumiya_haruhi'];
const TRAIN = 12;
const HELD_OUT = 4;
const G = 'guild-a';

describe('roster packs', { skip, timeout: 300_000 }, () => {
  let services: Services;
  let packFile: string;
  let buildReport: Awaited<ReturnType<Services['packs']['build']>>['report'];
  let fixtureFolder: string;
  const heldOut = pick('nagadomi10', CHARACTERS, 0, HELD_OUT);

  before(async () => {
    // The fixture: a labelled folder made here from the set's training split (the held-out faces are its test split).
    const folder = tempDir('idoltag-pack-fixture-');
    fixtureFolder = folder;
    for (const row of pick('nagadomi10', CHARACTERS, TRAIN, 0)) {
      mkdirSync(path.join(folder, row.label), { recursive: true });
      copyFileSync(row.path, path.join(folder, row.label, path.basename(row.path)));
    }
    const author = await openServices(serviceOptionsFor(tempDir('idoltag-pack-author-')));
    try {
      const built = await author.packs.build(
        folderSource(folder, { id: 'animeface', title: 'AnimeFace', franchise: 'AnimeFace' }),
      );
      buildReport = built.report;
      packFile = path.join(tempDir('idoltag-pack-file-'), 'animeface.idpack');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(packFile, built.bytes);
    } finally {
      await author.close();
    }
    services = await openServices(serviceOptionsFor(tempDir('idoltag-roster-')));
  });

  after(async () => {
    await services?.close();
  });

  test('the builder embeds every picture, holds one group out per character and records what it measured', () => {
    assert.equal(buildReport.characters, CHARACTERS.length);
    assert.equal(buildReport.images, CHARACTERS.length * TRAIN);
    assert.equal(buildReport.heldOut.faces, 2 * CHARACTERS.length, 'each character has 12 groups: 2 are held out');
    assert.equal(buildReport.references, (TRAIN - 2) * CHARACTERS.length);
    assert.deepEqual(buildReport.charactersWithoutReferences, []);
  });

  test('with faces of characters it does not have, the gate is raised until at most 2 % of them pass', async () => {
    const author = await openServices(serviceOptionsFor(tempDir('idoltag-pack-impostors-')));
    try {
      const others = pick('nagadomi10', ['akiyama_mio', 'fate_testarossa', 'lelouch_lamperouge', 'shana'], 25, 0);
      const impostors: Float32Array[] = [];
      for (const row of others) {
        impostors.push(
          (await author.recognition.recognise(readFileSync(row.path), { crops: true })).faces[0].embedding,
        );
      }
      const built = await author.packs.build(
        folderSource(fixtureFolder, { id: 'animeface', title: 'AnimeFace', franchise: 'AnimeFace' }),
        { impostors },
      );
      const gate = built.report.gate!;
      assert.equal(gate.impostors, impostors.length);
      assert.ok(gate.shift >= 0);
      // Installed, the pack names at most 2 % of those faces (the head a server fits is the one calibrated).
      const reader = await openServices(serviceOptionsFor(tempDir('idoltag-pack-impostors-reader-')));
      try {
        reader.packs.installFile(built.bytes);
        await reader.roster.add('g', 'animeface');
        const named = impostors.filter((v) => reader.heads.predict('g', v).label !== null).length;
        assert.ok(named <= Math.floor(0.02 * impostors.length), `${named} of ${impostors.length} named`);
        assert.ok(
          built.report.heldOut.accuracy! <= buildReport.heldOut.accuracy! + 1e-9,
          'a stricter gate never names more',
        );
      } finally {
        await reader.close();
      }
    } finally {
      await author.close();
    }
  });

  test('a bad pack file is refused with one message and leaves nothing behind', () => {
    const good = readFileSync(packFile);
    const damaged = Buffer.from(good);
    damaged[damaged.length - 5] ^= 0x55;
    for (const bytes of [damaged, good.subarray(0, good.length - 100), Buffer.from('not a pack')]) {
      assert.throws(() => services.packs.installFile(bytes), PackFileError);
    }
    assert.deepEqual(
      services.roster.list(G).filter((p) => p.origin === 'file'),
      [],
    );
    assert.equal(existsSync(path.join(services.files.dataDir, 'packs')), false);
  });

  test('an installed pack, once added, names held-out faces of its characters in that guild only', async () => {
    const installed = services.packs.installFile(readFileSync(packFile), 'test');
    assert.equal(installed.id, 'animeface');
    assert.deepEqual(
      services.roster
        .list(G)
        .filter((p) => p.origin === 'file')
        .map((p) => [p.id, p.added, p.covered]),
      [['animeface', false, true]],
    );
    const added = await services.roster.add(G, 'animeface', 'test');
    assert.equal(added.created, CHARACTERS.length);
    assert.ok(added.ms < 3000, `adding took ${added.ms} ms`);
    let right = 0;
    for (const row of heldOut) {
      const tagged = await services.tagging.tagImage({
        guildId: G,
        bytes: readFileSync(row.path),
        source: { kind: 'file', path: row.path },
        crops: true,
      });
      const expected = row.label
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(' ');
      if (tagged.faces[0].label === expected) right++;
    }
    assert.ok(right / heldOut.length >= 0.75, `named ${right} of ${heldOut.length} held-out faces`);
    // The batched path (onnxruntime, per screenshot) says what the one-face path (JavaScript) says.
    const vectors: Float32Array[] = [];
    for (const row of heldOut) {
      vectors.push((await services.recognition.recognise(readFileSync(row.path), { crops: true })).faces[0].embedding);
    }
    const batched = await services.heads.predictMany(G, vectors);
    vectors.forEach((v, i) => {
      const one = services.heads.predict(G, v);
      assert.equal(batched[i].label, one.label);
      assert.ok(Math.abs(batched[i].confidence - one.confidence) < 1e-4);
      assert.deepEqual(
        batched[i].candidates.map((c) => c.label),
        one.candidates.map((c) => c.label),
      );
    });
    const elsewhere = await services.tagging.tagImage({
      guildId: 'guild-b',
      bytes: readFileSync(heldOut[0].path),
      source: { kind: 'file', path: heldOut[0].path },
      crops: true,
    });
    assert.equal(elsewhere.faces[0].label, null, 'a guild that did not add the pack names nobody');
  });

  test('names and aliases find pack characters; an ambiguous one lists both with their game', async () => {
    assert.equal(
      services.gallery.page({ guildId: G, character: 'miku', page: 0, pageSize: 5 }).character,
      'Hatsune Miku',
    );
    assert.equal(
      services.gallery.page({ guildId: G, character: 'HATSUNE  miku', page: 0, pageSize: 5 }).character,
      'Hatsune Miku',
    );
    // A second pack whose character also answers to "miku".
    const otherGame = (dim: number) => {
      const vector = new Float32Array(dim);
      vector[0] = 1;
      return encodePack({
        id: 'other-game',
        title: 'Other Game',
        franchise: 'Other',
        built: '2026-12-08',
        sources: [],
        characters: [{ id: 'miku-other', name: 'Miku Nakano', aliases: ['miku'] }],
        references: [{ embedder: services.embedders.activeVersion(), dim, characterIndex: [0], vectors: vector }],
      });
    };
    assert.throws(() => services.packs.installFile(otherGame(2)), /dimensions/);
    assert.equal(
      services.roster.list(G).filter((p) => p.origin === 'file').length,
      1,
      'the refused pack is not installed',
    );
    services.packs.installFile(otherGame(services.embedders.dimOf(services.embedders.activeVersion())!));
    await services.roster.add(G, 'other-game');
    assert.throws(
      () => services.gallery.page({ guildId: G, character: 'miku', page: 0, pageSize: 5 }),
      (err: unknown) =>
        err instanceof AmbiguousCharacterError &&
        /Hatsune Miku \(AnimeFace\)/.test(err.message) &&
        /Miku Nakano \(Other\)/.test(err.message),
    );
    const suggested = services.characters.suggest(G, 'mik').map((s) => s.label);
    assert.ok(
      suggested.includes('Hatsune Miku · AnimeFace') && suggested.includes('Miku Nakano · Other'),
      suggested.join(),
    );
    assert.equal(
      services.gallery.page({ guildId: G, character: 'hatsune', page: 0, pageSize: 5 }).character,
      'Hatsune Miku',
    );
    await assert.rejects(
      services.teaching.teach({ guildId: G, character: 'miku', images: [], by: 'test' }),
      AmbiguousCharacterError,
    );
    await services.roster.remove(G, 'other-game');
  });

  test('teaching a pack character by its alias adds to it, and removing the pack keeps what people taught', async () => {
    const before = services.characters.list(G).length;
    const taught = await services.teaching.teach({
      guildId: G,
      character: 'miku',
      images: pick('nagadomi10', ['hatsune_miku'], 0, HELD_OUT + 2)
        .slice(HELD_OUT)
        .map((r) => ({ bytes: readFileSync(r.path), name: path.basename(r.path) })),
      by: 'test',
      crops: true,
    });
    assert.equal(taught.created, false, 'no twin of Hatsune Miku was made');
    assert.equal(taught.character, 'Hatsune Miku');
    assert.equal(services.characters.list(G).length, before);

    const removed = await services.roster.remove(G, 'animeface');
    assert.deepEqual(removed.kept, ['Hatsune Miku']);
    assert.equal(removed.removed, CHARACTERS.length - 1);
    const left = services.characters.list(G);
    assert.deepEqual(
      left.map((c) => [c.name, c.faces]),
      [['Hatsune Miku', 2]],
    );
    assert.equal(left[0].franchise, undefined, 'no longer a pack character');
    await assert.rejects(services.roster.remove(G, 'animeface'), UserInputError);
    assert.deepEqual(readdirSync(path.join(services.files.dataDir, 'packs')).length, 2, 'the installed files stay');
  });
});

describe('guild heads in memory', { skip, timeout: 120_000 }, () => {
  test('at most headCacheSize guild heads stay in memory; an idle guild is read back when it speaks again', async () => {
    const services = await openServices(serviceOptionsFor(tempDir('idoltag-head-cache-'), { headCacheSize: 2 }));
    try {
      const [miku, reimu] = CHARACTERS;
      const faces = pick('nagadomi10', [miku, reimu], 3, 1);
      const train = faces.filter((r) => r.split === 'train');
      const probe = faces.find((r) => r.split === 'test' && r.label === miku)!;
      const guilds = ['g1', 'g2', 'g3'];
      for (const guildId of guilds) {
        for (const label of [miku, reimu]) {
          await services.teaching.teachFiles({
            guildId,
            character: label,
            files: train.filter((r) => r.label === label).map((r) => r.path),
            by: 'test',
            crops: true,
          });
        }
        await services.heads.refit(guildId);
      }
      const vector = (await services.recognition.recognise(readFileSync(probe.path), { crops: true })).faces[0]
        .embedding;
      const answers = guilds.map((g) => services.heads.predict(g, vector).candidates[0]?.label);
      assert.deepEqual(answers, [miku, miku, miku]);
      assert.equal(services.heads.cachedHeads(), 2, 'the idlest guild left memory');
      assert.equal(services.heads.predict('g1', vector).candidates[0]?.label, miku);
      assert.equal(services.heads.cachedHeads(), 2);
    } finally {
      await services.close();
    }
  });
});
