/**
 * The roster packs' source adapters on tiny trees that mimic each repository's layout (pictures made here
 * with sharp; no file of the real repositories): names and aliases, groups, what is left out, format
 * sniffing, and that prepare cuts the frames away.
 *   node --import tsx --test test/integration/pack-sources.test.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { simplifyRomaji, slugify } from '../../src/core/packs/sources/common.ts';
import { listSource, SourceLayoutError, type SourceListing } from '../../src/core/packs/sources/index.ts';
import { UserFacingError } from '../../src/core/user-facing-error.ts';
import { tempDir } from '../helpers/paths.ts';

type Rgb = [number, number, number];
const RED: Rgb = [230, 20, 20];
const GREEN: Rgb = [20, 200, 40];
const YELLOW: Rgb = [250, 220, 0];

/** A face-like picture: four coloured quadrants (seeded), smooth enough to survive resizing. */
function quadrants(size: number, seed: number): Buffer {
  const colours: Rgb[] = [0, 1, 2, 3].map((q) => [
    (seed * 67 + q * 90) % 256,
    (seed * 131 + q * 50 + 40) % 256,
    (seed * 29 + q * 120 + 80) % 256,
  ]);
  const data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const c = colours[(y < size / 2 ? 0 : 2) + (x < size / 2 ? 0 : 1)];
      data.set(c, (y * size + x) * 3);
    }
  return data;
}

/** `inner` (size×size RGB) inside a frame of `frame` px of `colour`. */
function framed(inner: Buffer, size: number, frame: number, colour: Rgb = RED): Buffer {
  const side = size + 2 * frame;
  const data = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      const ix = x - frame;
      const iy = y - frame;
      if (ix >= 0 && iy >= 0 && ix < size && iy < size)
        inner.copy(data, i, (iy * size + ix) * 3, (iy * size + ix + 1) * 3);
      else data.set(colour, i);
    }
  return data;
}

const raw = (data: Buffer, width: number, height = width, channels: 3 | 4 = 3) =>
  sharp(data, { raw: { width, height, channels } });

async function write(file: string, img: sharp.Sharp, format: 'png' | 'jpeg' | 'webp') {
  mkdirSync(path.dirname(file), { recursive: true });
  const bytes = await (format === 'png'
    ? img.png()
    : format === 'jpeg'
      ? img.jpeg({ quality: 95 })
      : img.webp()
  ).toBuffer();
  writeFileSync(file, bytes);
}

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): Rgb => {
    const i = (y * info.width + x) * info.channels;
    return [data[i], data[i + 1], data[i + 2]];
  };
  const any = (test: (p: Rgb) => boolean) => {
    for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) if (test(at(x, y))) return true;
    return false;
  };
  return { info, at, any };
}

const near = (p: Rgb, c: Rgb, tolerance = 40) => p.every((v, i) => Math.abs(v - c[i]) <= tolerance);
const byId = (l: SourceListing, id: string) => {
  const c = l.characters.find((x) => x.id === id);
  assert.ok(c, `no character ${id} in ${l.characters.map((x) => x.id).join(', ')}`);
  return c;
};
const imagesOf = (l: SourceListing, id: string) => l.images.filter((i) => i.characterId === id);
const isLayoutError = (err: unknown) => err instanceof SourceLayoutError && err instanceof UserFacingError;

describe('names', () => {
  it('spells romaji plainly but keeps "ou", which can be two sounds', () => {
    assert.equal(simplifyRomaji('syoko'), 'shoko');
    assert.equal(simplifyRomaji('ootsuki'), 'otsuki');
    assert.equal(simplifyRomaji('yuuki'), 'yuki');
    assert.equal(simplifyRomaji('ohta'), 'ota');
    assert.equal(simplifyRomaji('koume'), 'koume');
    assert.equal(simplifyRomaji('shiina'), 'shiina');
    assert.equal(slugify('T.M. Opera O'), 't-m-opera-o');
    assert.equal(slugify("Curren Bouquetd'or"), 'curren-bouquetd-or');
  });

  it('refuses a pack it has no adapter for', async () => {
    await assert.rejects(listSource('no-such-game', [tempDir()]), isLayoutError);
  });
});

describe('Cinderella Girls', async () => {
  const root = tempDir('idoltag-cg-');
  const checker = path.join(root, 'cgss-checker');
  const strips = path.join(root, 'cgss-ssr');
  const images = path.join(checker, 'cgss-checker', 'data', 'images');
  // 100×100 icons: an 8 px red frame around an 84 px picture.
  const kaedeSsr = quadrants(84, 1);
  await write(path.join(images, 'SSR', '413_[夜風の誘い]高垣楓.jpg'), raw(framed(kaedeSsr, 84, 8), 100), 'jpeg');
  await write(path.join(images, 'R', '75_高垣楓.jpg'), raw(framed(quadrants(84, 2), 84, 8), 100), 'jpeg');
  await write(path.join(images, 'N', '115_塩見周子.jpg'), raw(framed(quadrants(84, 3), 84, 8), 100), 'jpeg');
  await write(path.join(images, 'R', '477_ぴにゃこら太.jpg'), raw(framed(quadrants(84, 4), 84, 8), 100), 'jpeg');
  await write(path.join(images, 'SR', 'cover.jpg'), raw(quadrants(100, 5), 100), 'jpeg');
  // A 248×124 strip with transparent corners: left = the SSR card above (un-evolved), right = its evolved icon.
  const half = 124;
  const left = await raw(framed(kaedeSsr, 84, 8), 100)
    .resize(half, half, { kernel: 'linear' })
    .raw()
    .toBuffer();
  const right = framed(quadrants(104, 6), 104, 10);
  const strip = Buffer.alloc(2 * half * half * 4);
  for (let y = 0; y < half; y++)
    for (let x = 0; x < 2 * half; x++) {
      const src = x < half ? left : right;
      const sx = x % half;
      const o = (y * 2 * half + x) * 4;
      src.copy(strip, o, (y * half + sx) * 3, (y * half + sx + 1) * 3);
      strip[o + 3] = (x < 6 || x >= 2 * half - 6) && (y < 6 || y >= half - 6) ? 0 : 255;
    }
  await write(path.join(strips, 'public', 'kaede1.png'), raw(strip, 2 * half, half, 4), 'png');
  await write(
    path.join(strips, 'public', 'cochran1.png'),
    raw(quadrants(124, 7), 124).resize(248, 124, { fit: 'fill' }),
    'png',
  );
  const entry = (img: string, name: string, en: string, jp: string) => ({
    card_name: 'x',
    name_jp: jp,
    name_kr: '',
    name_en: en,
    type: 'cute',
    limited: 'none',
    name,
    img,
  });
  mkdirSync(path.join(strips, 'components'), { recursive: true });
  writeFileSync(
    path.join(strips, 'components', 'data.json'),
    JSON.stringify([
      entry('kaede1', '高垣楓', 'takagaki kaede', 'たかがき かえで'),
      entry('cochran1', 'メアリー・コクラン', 'mary cochran', 'めありー・こくらん'),
      entry('gone1', '星輝子', 'hoshi syoko', 'ほし しょうこ'),
    ]),
  );
  const listing = await listSource('cinderella-girls', [strips, checker]);

  it('names idols from data.json: romaji family name first, Western names given name first', () => {
    const kaede = byId(listing, 'takagaki-kaede');
    assert.equal(kaede.name, 'Takagaki Kaede');
    assert.equal(kaede.nameJa, '高垣楓');
    for (const alias of ['kaede', 'Kaede Takagaki', '高垣楓', 'かえで'])
      assert.ok(kaede.aliases.includes(alias), alias);
    const mary = byId(listing, 'mary-cochran');
    assert.equal(mary.name, 'Mary Cochran');
    assert.ok(mary.aliases.includes('mary') && mary.aliases.includes('メアリー・コクラン'));
  });

  it('keeps the Japanese name, with a hashed id, for an idol without romaji', () => {
    const shuko = listing.characters.find((c) => c.nameJa === '塩見周子');
    assert.ok(shuko);
    assert.equal(shuko.name, '塩見周子');
    assert.match(shuko.id, /^cg-[0-9a-f]{8}$/);
  });

  it('drops labels that are not idols, misnamed files and strips that are missing', () => {
    assert.ok(!listing.characters.some((c) => c.nameJa === 'ぴにゃこら太'));
    const reasons = (listing.skipped ?? []).map((s) => `${path.basename(s.path)}: ${s.reason}`);
    assert.ok(
      reasons.some((r) => r.startsWith('477_ぴにゃこら太.jpg: not a CG idol')),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => r.startsWith('cover.jpg: not <cardId>')),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => r.startsWith('gone1.png: listed in data.json but missing')),
      reasons.join('\n'),
    );
  });

  it("drops the strip's copy of an SSR card and holds its evolved icon out with the card", () => {
    const kaede = imagesOf(listing, 'takagaki-kaede');
    assert.equal(kaede.length, 3, JSON.stringify(kaede, null, 1)); // R, SSR, the strip's evolved (right) icon
    const ssr = kaede.find((i) => i.path.includes('413_'))!;
    const evolved = kaede.find((i) => i.region)!;
    assert.equal(evolved.region!.left, 124);
    assert.equal(evolved.group, ssr.group);
    assert.notEqual(kaede.find((i) => i.path.includes('75_'))!.group, ssr.group);
    assert.ok((listing.skipped ?? []).some((s) => s.path.endsWith('kaede1.png (left)') && s.reason.includes('413_')));
  });

  it('lists the same whatever the order of the folders', async () => {
    const again = await listSource('cinderella-girls', [checker, strips]);
    assert.deepEqual(again.images, listing.images);
    assert.deepEqual(again.characters, listing.characters);
  });

  it('trims 8 % per side: the frame is gone, transparent corners are white', async () => {
    const icon = await pixels(
      await listing.prepare(imagesOf(listing, 'takagaki-kaede').find((i) => i.path.includes('75_'))!),
    );
    assert.deepEqual([icon.info.width, icon.info.height, icon.info.channels], [84, 84, 3]);
    assert.ok(!icon.any((p) => near(p, RED, 30)), 'red frame left');
    const cochran = listing.images.find((i) => i.characterId === 'mary-cochran')!;
    const half = await pixels(await listing.prepare(cochran));
    assert.deepEqual([half.info.width, half.info.height], [104, 104]);
  });

  it('says which folder is not a checkout', async () => {
    const empty = tempDir('idoltag-cg-empty-');
    await assert.rejects(
      listSource('cinderella-girls', [empty]),
      (err: unknown) => isLayoutError(err) && (err as Error).message.includes('data.json'),
    );
    await assert.rejects(listSource('cinderella-girls', [checker, checker]), isLayoutError);
  });
});

describe('Million Live', async () => {
  const root = tempDir('idoltag-ml-');
  writeFileSync(
    path.join(root, 'main.js'),
    [
      'let idol_name_standard_list = [];',
      'const idol_names = `春香\t天海春香\t\t',
      'ロコ\tロコ\t路子\t伴田路子',
      'エミリー\tエミリー\tエミリースチュアート\tエミリー スチュアート',
      'ジュリア\tジュリア\t\t',
      '小鳥\t音無小鳥\t\t',
      '`;',
      'let idol_icon = {};',
      '{',
      'const idol_icons_data = `haruka\t春香\t#e22b30',
      'roco\tロコ\t#fff03c',
      'emily\tエミリー\t#554171',
      'julia\tジュリア\t#d7385f',
      'kotori\t小鳥\t#F7E200',
      '`;',
      '}',
    ].join('\n'),
  );
  const icons = path.join(root, 'icons');
  for (const [i, stem] of ['haruka', 'roco', 'emily', 'julia', 'kotori'].entries())
    await write(path.join(icons, `${stem}.jpg`), raw(quadrants(90, 10 + i), 90), 'jpeg');
  await write(path.join(icons, 'anime', 'haruka.jpg'), raw(quadrants(87, 20), 87), 'jpeg');
  await write(path.join(icons, 'anime', 'kotori.jpg'), raw(quadrants(87, 21), 87), 'jpeg');
  await write(path.join(icons, 'orig', 'haruka.jpg'), raw(quadrants(300, 22), 300), 'jpeg');
  const listing = await listSource('million-live', [root]);

  it("names the idols from main.js's tables and the romaji family names", () => {
    const haruka = byId(listing, 'amami-haruka');
    assert.equal(haruka.name, 'Amami Haruka');
    assert.equal(haruka.nameJa, '天海春香');
    for (const alias of ['haruka', 'Haruka Amami', '春香']) assert.ok(haruka.aliases.includes(alias), alias);
    const roco = byId(listing, 'handa-roco');
    assert.equal(roco.nameJa, '伴田路子');
    assert.ok(roco.aliases.includes('roco') && roco.aliases.includes('ロコ') && roco.aliases.includes('路子'));
    assert.equal(byId(listing, 'emily-stewart').name, 'Emily Stewart');
    assert.equal(byId(listing, 'julia').name, 'Julia');
  });

  it('keeps game icons of the 52 idols only, and the anime faces apart', () => {
    assert.deepEqual(listing.images.map((i) => path.basename(i.path)).sort(), [
      'emily.jpg',
      'haruka.jpg',
      'julia.jpg',
      'roco.jpg',
    ]);
    assert.deepEqual(
      (listing.measure ?? []).map((i) => [i.characterId, i.medium, path.relative(root, i.path)]),
      [['amami-haruka', 'anime', path.join('icons', 'anime', 'haruka.jpg')]],
    );
    assert.ok(!listing.characters.some((c) => c.nameJa === '音無小鳥'));
    const skipped = (listing.skipped ?? []).map((s) => `${path.basename(s.path)}: ${s.reason}`);
    assert.ok(skipped.includes('kotori.jpg: not one of the 52 idols (小鳥)'), skipped.join('\n'));
    assert.ok(!skipped.some((s) => s.includes('orig')));
  });

  it('prepares the whole icon', async () => {
    const png = await pixels(await listing.prepare(listing.images[0]));
    assert.deepEqual([png.info.width, png.info.height], [90, 90]);
  });

  it('needs main.js', async () => {
    const bare = tempDir('idoltag-ml-bare-');
    mkdirSync(path.join(bare, 'icons'));
    await assert.rejects(listSource('million-live', [bare]), isLayoutError);
  });
});

describe('Project Sekai', async () => {
  const root = tempDir('idoltag-pjsk-');
  const iconsDir = path.join(root, 'icons');
  const dataDir = path.join(root, 'data');
  const icons = path.join(iconsDir, 'public', 'images', 'card_icons');
  /** 150×150: blue picture, 8 px red frame, green badge top left, yellow stars bottom left. */
  function sekaiIcon(): Buffer {
    const data = Buffer.alloc(150 * 150 * 3);
    for (let y = 0; y < 150; y++)
      for (let x = 0; x < 150; x++) {
        let c: Rgb = [40, 60, 200];
        if (y >= 118 && y < 140 && x >= 5 && x < 95) c = YELLOW;
        if (x < 30 && y < 28) c = GREEN;
        if (x < 8 || y < 8 || x >= 142 || y >= 142) c = RED;
        data.set(c, (y * 150 + x) * 3);
      }
    return data;
  }
  for (const file of ['1.webp', '3_ut.webp', '3_t.webp', '21.webp', '30_bd.webp', '1242_t.webp'])
    await write(path.join(icons, file), raw(sekaiIcon(), 150), 'webp');
  writeFileSync(path.join(icons, 'notes.txt'), 'not an icon');
  mkdirSync(path.join(dataDir, 'src', 'assets', 'json'), { recursive: true });
  const card = (id: number, character: string, charId: number) => ({ id, name: 'x', character, rarity: 4, charId });
  writeFileSync(
    path.join(dataDir, 'src', 'assets', 'json', 'cards.json'),
    JSON.stringify([
      card(1, 'Hoshino Ichika', 1),
      card(3, 'Hoshino Ichika', 1),
      card(21, 'Hatsune Miku', 21),
      card(30, 'Hatsune Miku', 27),
      card(40, 'MEIKO', 25),
    ]),
  );
  writeFileSync(
    path.join(dataDir, 'src', 'assets', 'json', 'jp_banners.json'),
    JSON.stringify([
      { id: 1, name: 'リリース記念ガチャ', characters: [1, 21] },
      { id: 2, name: '[星乃一歌]HAPPY BIRTHDAYガチャ', characters: [1] },
      { id: 3, name: '[星乃一歌]HAPPY BIRTHDAY2023ガチャ', characters: [1] },
      { id: 4, name: '[復刻]HAPPY BIRTHDAYガチャ', characters: [1] },
      { id: 5, name: '[初音ミク]HAPPY ANNIVERSARYガチャ', characters: [21] },
    ]),
  );
  const listing = await listSource('project-sekai', [iconsDir, dataDir]);

  it('names characters from cards.json, the Japanese names from the birthday banners', () => {
    const ichika = byId(listing, 'hoshino-ichika');
    assert.equal(ichika.name, 'Hoshino Ichika');
    assert.equal(ichika.nameJa, '星乃一歌');
    assert.ok(ichika.aliases.includes('ichika') && ichika.aliases.includes('Ichika Hoshino'));
    assert.equal(byId(listing, 'hatsune-miku').nameJa, '初音ミク');
    const meiko = byId(listing, 'meiko');
    assert.equal(meiko.name, 'MEIKO');
    assert.equal(meiko.nameJa, undefined);
  });

  it("gives each art its own group, the unit singers' cards to the singer, and skips unknown cards", () => {
    const ichika = imagesOf(listing, 'hoshino-ichika');
    assert.equal(ichika.length, 3);
    assert.equal(new Set(ichika.map((i) => i.group)).size, 3);
    assert.deepEqual(
      imagesOf(listing, 'hatsune-miku')
        .map((i) => path.basename(i.path))
        .sort(),
      ['21.webp', '30_bd.webp'],
    );
    const skipped = (listing.skipped ?? []).map((s) => `${path.basename(s.path)}: ${s.reason}`);
    assert.ok(skipped.includes('1242_t.webp: card 1242 is not in cards.json'), skipped.join('\n'));
    assert.ok(skipped.some((s) => s.startsWith('notes.txt')));
  });

  it('takes one folder holding both, or two in either order', async () => {
    const both = tempDir('idoltag-pjsk-both-');
    mkdirSync(path.join(both, 'src', 'assets', 'json'), { recursive: true });
    mkdirSync(path.join(both, 'public', 'images', 'card_icons'), { recursive: true });
    copyFileSync(path.join(icons, '1.webp'), path.join(both, 'public', 'images', 'card_icons', '1.webp'));
    for (const f of ['cards.json', 'jp_banners.json'])
      copyFileSync(path.join(dataDir, 'src', 'assets', 'json', f), path.join(both, 'src', 'assets', 'json', f));
    assert.equal((await listSource('project-sekai', [both])).images.length, 1);
    assert.deepEqual((await listSource('project-sekai', [dataDir, iconsDir])).images, listing.images);
    await assert.rejects(
      listSource('project-sekai', [iconsDir]),
      (err: unknown) => isLayoutError(err) && /cards\.json/.test((err as Error).message),
    );
  });

  it('cuts the frame, the badge and the stars away', async () => {
    const png = await pixels(await listing.prepare(listing.images[0]));
    assert.equal(png.info.width, png.info.height);
    assert.ok(!png.any((p) => near(p, RED) || near(p, GREEN) || near(p, YELLOW)), 'frame, badge or stars left');
  });
});

describe('Uma Musume', async () => {
  const root = tempDir('idoltag-uma-');
  const chara = path.join(root, 'icons', 'chara');
  /** 256×256 RGBA: transparent outside r 122 around (127, 140), a red ring from r 104, a blue disc inside. */
  function umaIcon(): Buffer {
    const data = Buffer.alloc(256 * 256 * 4);
    for (let y = 0; y < 256; y++)
      for (let x = 0; x < 256; x++) {
        const r = Math.hypot(x - 127, y - 140);
        const c: Rgb = r < 104 ? [40, 60, 200] : RED;
        data.set([...c, r < 122 ? 255 : 0], (y * 256 + x) * 4);
      }
    return data;
  }
  for (const file of [
    'chr_icon_1001.png',
    'trained_chr_icon_1001_100101_01.png',
    'trained_chr_icon_1001_100101_02.png',
    'trained_chr_icon_1001_100102_01.png',
    'chr_icon_1015.png',
    'chr_icon_9999.png',
  ])
    await write(path.join(chara, file), raw(umaIcon(), 256, 256, 4), 'png');
  writeFileSync(
    path.join(root, 'umas.json'),
    JSON.stringify({
      1001: { name: ['スペシャルウィーク', 'Special Week'], outfits: {} },
      1015: { name: ['テイエムオペラオー', 'TM Opera O'], outfits: {} },
    }),
  );
  mkdirSync(path.join(root, 'umalator-global'));
  writeFileSync(
    path.join(root, 'umalator-global', 'umas.json'),
    JSON.stringify({ 1015: { name: ['', 'T.M. Opera O'] } }),
  );
  const listing = await listSource('uma-musume', [root]);

  it('names characters in English and Japanese, the global spelling as an alias', () => {
    const spe = byId(listing, 'special-week');
    assert.equal(spe.name, 'Special Week');
    assert.equal(spe.nameJa, 'スペシャルウィーク');
    assert.ok(byId(listing, 'tm-opera-o').aliases.includes('T.M. Opera O'));
  });

  it("groups an outfit's _01 and _02 frames, and skips ids umas.json lacks", () => {
    const groups = new Map(imagesOf(listing, 'special-week').map((i) => [path.basename(i.path), i.group]));
    assert.equal(groups.size, 4);
    assert.equal(groups.get('trained_chr_icon_1001_100101_01.png'), groups.get('trained_chr_icon_1001_100101_02.png'));
    assert.notEqual(
      groups.get('trained_chr_icon_1001_100101_01.png'),
      groups.get('trained_chr_icon_1001_100102_01.png'),
    );
    assert.notEqual(groups.get('chr_icon_1001.png'), groups.get('trained_chr_icon_1001_100101_01.png'));
    assert.ok((listing.skipped ?? []).some((s) => s.path.endsWith('chr_icon_9999.png')));
  });

  it('keeps the disc inside the round frame, white around it', async () => {
    const png = await pixels(await listing.prepare(listing.images[0]));
    assert.equal(png.info.width, png.info.height);
    assert.ok(!png.any((p) => near(p, RED, 60)), 'red ring left');
    assert.deepEqual(png.at(0, 0), [255, 255, 255]);
    assert.ok(near(png.at(png.info.width >> 1, png.info.height >> 1), [40, 60, 200], 5));
  });

  it('needs umas.json', async () => {
    const bare = tempDir('idoltag-uma-bare-');
    mkdirSync(path.join(bare, 'icons', 'chara'), { recursive: true });
    await assert.rejects(
      listSource('uma-musume', [bare]),
      (err: unknown) => isLayoutError(err) && /umas\.json/.test((err as Error).message),
    );
  });
});

describe('Genshin Impact', async () => {
  const root = tempDir('idoltag-genshin-');
  const images = path.join(root, 'assets', 'images', 'characters');
  const data = path.join(root, 'assets', 'data', 'characters');
  const rgba = (size: number, seed: number) => {
    const rgb = quadrants(size, seed);
    const out = Buffer.alloc(size * size * 4);
    for (let i = 0; i < size * size; i++) {
      rgb.copy(out, i * 4, i * 3, i * 3 + 3);
      out[i * 4 + 3] = i % size < size / 4 ? 0 : 255; // the left quarter transparent
    }
    return raw(out, size, size, 4);
  };
  // No extensions; the formats differ from file to file.
  await write(path.join(images, 'albedo', 'icon-big'), rgba(64, 30), 'webp');
  await write(path.join(images, 'albedo', 'icon-side'), rgba(40, 31), 'png');
  await write(path.join(images, 'albedo', 'card'), raw(quadrants(120, 32), 120), 'jpeg');
  await write(path.join(images, 'albedo', 'portrait'), rgba(100, 33), 'png');
  await write(path.join(images, 'albedo', 'gacha-card'), rgba(100, 34), 'png');
  await write(path.join(images, 'albedo', 'constellation'), rgba(20, 35), 'png');
  await write(path.join(images, 'ayaka', 'icon-big'), rgba(64, 36), 'png');
  mkdirSync(path.join(images, 'broken'), { recursive: true });
  writeFileSync(path.join(images, 'broken', 'icon-big'), 'version https://git-lfs.github.com/spec/v1\n');
  for (const element of ['anemo', 'geo']) {
    await write(path.join(images, `traveler-${element}`, 'icon-big'), rgba(64, 40), 'webp');
    await write(path.join(images, `traveler-${element}`, 'icon-big-aether'), rgba(64, 41), 'png');
    await write(path.join(images, `traveler-${element}`, 'icon-big-lumine'), rgba(64, 42), 'png');
    await write(path.join(images, `traveler-${element}`, 'portraitm'), rgba(100, 43), 'png');
  }
  const profile = (folder: string, lang: string, doc: object) => {
    mkdirSync(path.join(data, folder), { recursive: true });
    writeFileSync(path.join(data, folder, `${lang}.json`), JSON.stringify(doc));
  };
  profile('albedo', 'en', { name: 'Albedo', nation: 'Mondstadt' });
  profile('albedo', 'jp', { name: 'アルベド' });
  profile('ayaka', 'en', { name: 'Kamisato Ayaka', nation: 'Inazuma' });
  profile('ayaka', 'jp', { name: '神里　綾華(かみさと　あやか)' });
  const listing = await listSource('genshin-impact', [root]);

  it('names characters from en.json and jp.json (reading apart), the folder as an alias', () => {
    assert.equal(byId(listing, 'albedo').nameJa, 'アルベド');
    const ayaka = byId(listing, 'ayaka');
    assert.equal(ayaka.name, 'Kamisato Ayaka');
    assert.equal(ayaka.nameJa, '神里綾華');
    for (const alias of ['ayaka', 'Ayaka Kamisato', 'かみさとあやか']) assert.ok(ayaka.aliases.includes(alias), alias);
    assert.equal(byId(listing, 'broken').name, 'Broken');
  });

  it('lists icons and large pictures as art (the detector finds the face), never side icons or gacha pictures', () => {
    const albedo = new Map(imagesOf(listing, 'albedo').map((i) => [path.basename(i.path), i]));
    assert.deepEqual([...albedo.keys()].sort(), ['card', 'icon-big', 'portrait']);
    for (const image of albedo.values()) assert.equal(image.kind, 'art');
    assert.ok(
      (listing.skipped ?? []).some(
        (s) => s.path.endsWith(path.join('albedo', 'icon-side')) && /profile/.test(s.reason),
      ),
    );
  });

  it('reads the format from the bytes: extensionless WebP, PNG and JPEG decode; a text file is skipped', async () => {
    for (const image of imagesOf(listing, 'albedo')) {
      const png = await listing.prepare(image);
      assert.equal((await sharp(png).metadata()).format, 'png');
    }
    const icon = await pixels(
      await listing.prepare(imagesOf(listing, 'albedo').find((i) => i.path.endsWith('icon-big'))!),
    );
    assert.deepEqual(icon.at(0, 32), [255, 255, 255], 'transparency onto white');
    assert.equal(imagesOf(listing, 'broken').length, 0);
    assert.ok(
      (listing.skipped ?? []).some(
        (s) => s.path.endsWith(path.join('broken', 'icon-big')) && /not an image/.test(s.reason),
      ),
    );
  });

  it('splits the travellers into Aether and Lumine; the same bytes share a group', () => {
    const aether = imagesOf(listing, 'aether');
    assert.equal(aether.length, 4);
    const icons = aether.filter((i) => i.path.endsWith('icon-big-aether'));
    assert.equal(icons.length, 2);
    assert.equal(icons[0].group, icons[1].group);
    assert.equal(imagesOf(listing, 'lumine').length, 2);
    assert.ok((listing.skipped ?? []).some((s) => s.path.endsWith(path.join('traveler-geo', 'icon-big'))));
  });
});
