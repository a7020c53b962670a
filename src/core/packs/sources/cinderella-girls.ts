/**
 * THE iDOLM@STER Cinderella Girls (Starlight Stage) card icons, from two public repositories (the rules
 * of trainer/cgss.py, which trains the shipped model on the same files):
 * - "card-icons" (mufgmixi/cgss-checker): `[cgss-checker/]data/images/{N,R,SR,SSR}/<cardId>_[<card title>]<name>.jpg`,
 *   one framed 100×100 face icon per file (the title is missing on some files);
 * - "ssr-strips" (hatoba29/cgss-ssr-checker): `public/<romaji><n>.png`, 248×124 strips (un-evolved | evolved
 *   icon), and `components/data.json`, which maps each stem (`img`) to the Japanese name (`name`), its
 *   romaji (`name_en`, "takagaki kaede": family name first, Western names given name first) and kana.
 *
 * The Japanese name joins the two. Each icon loses 8 % per side (frame, rarity badge); transparent strip
 * corners become white. Labels that are not CG idols are dropped. An icon whose 24×24 grey thumbnail is
 * within 6/255 of one already kept for that idol (an SSR card's un-evolved icon is in both sources) is
 * left out, and its group joins the kept one's, so that the strip's evolved icon is held out with it.
 */
import path from 'node:path';
import sharp from 'sharp';
import {
  evenTrim,
  hashedId,
  isDir,
  isFile,
  listNames,
  mapLimit,
  meanAbsDiff,
  personCharacter,
  preparedRgb,
  preparePng,
  readJson,
  SourceLayoutError,
  thumbnail,
} from './common.ts';
import type {
  ImageRegion,
  SkippedFile,
  SourceCharacter,
  SourceImage,
  SourceListing,
  SourceRepository,
} from './types.ts';

export const RARITIES = ['N', 'R', 'SR', 'SSR'] as const;
export const TRIM = 0.08;
/** Labels in the sources that are not Cinderella Girls idols (mascots, staff, other franchises' guests). */
export const NOT_IDOLS = new Set(['ぴにゃこら太', 'うさぎ', '千川ちひろ', '最上静香', 'ジュリア', '星街すいせい']);
export const DUPLICATE_DIFF = 6;
const CARD_ICON = /^(?<card>\d+)_(?:\[(?<title>.*)\])?(?<name>.+)\.(?:jpg|jpeg|png)$/i;

export const CARD_ICONS_REPO: SourceRepository = {
  repo: 'mufgmixi/cgss-checker',
  commit: '76db435b125af0515451f8c7890bffc8cbd30fe8',
  paths: ['cgss-checker/data/images'],
};
export const SSR_STRIPS_REPO: SourceRepository = {
  repo: 'hatoba29/cgss-ssr-checker',
  commit: 'cd7dd92d5ee49f202a475be00492b090f9b74e61',
  paths: ['public', 'components/data.json'],
};

export type CgLayout = { layout: 'card-icons'; images: string } | { layout: 'ssr-strips'; root: string };

/** Which of the two layouts a folder holds (trainer/cgss.py `detect_layout`). */
export function detectLayout(root: string): CgLayout {
  for (const sub of ['cgss-checker/data/images', 'data/images', 'images', '.']) {
    const images = path.resolve(root, sub);
    if (RARITIES.some((r) => isDir(path.join(images, r)))) return { layout: 'card-icons', images };
  }
  if (isFile(path.join(root, 'components', 'data.json')) && isDir(path.join(root, 'public')))
    return { layout: 'ssr-strips', root: path.resolve(root) };
  throw new SourceLayoutError(
    `${root} is not a Cinderella Girls checkout: it has neither card-icon folders (${RARITIES.join('/')} under ` +
      '[cgss-checker/]data/images, from mufgmixi/cgss-checker) nor public/ + components/data.json (hatoba29/cgss-ssr-checker).',
  );
}

interface StripEntry {
  img: string;
  name: string;
  name_en?: string;
  name_jp?: string;
}

interface Face {
  name: string;
  path: string;
  group: string;
  region?: ImageRegion;
}

function cardIconFaces(images: string, skipped: SkippedFile[]): Face[] {
  const faces: Face[] = [];
  for (const rarity of RARITIES) {
    const folder = path.join(images, rarity);
    if (!isDir(folder)) continue;
    for (const file of listNames(folder)) {
      const m = CARD_ICON.exec(file);
      const full = path.join(folder, file);
      if (!m?.groups) {
        skipped.push({ path: full, reason: 'not <cardId>_[title]name.jpg' });
        continue;
      }
      const group = `card-icons/${rarity}/${m.groups.card}`;
      faces.push({ name: m.groups.name.trim(), path: full, group });
    }
  }
  return faces;
}

function readStripEntries(root: string): StripEntry[] {
  const file = path.join(root, 'components', 'data.json');
  const entries = readJson<StripEntry[]>(file, 'the SSR list');
  if (!Array.isArray(entries) || entries.some((e) => typeof e?.img !== 'string' || typeof e?.name !== 'string'))
    throw new SourceLayoutError(`${file}: expected a list of {img, name, name_en, …} entries.`);
  return entries;
}

async function stripFaces(root: string, entries: StripEntry[], skipped: SkippedFile[]): Promise<Face[]> {
  const present = entries.filter((e) => {
    const file = path.join(root, 'public', `${e.img}.png`);
    if (!isFile(file)) skipped.push({ path: file, reason: 'listed in data.json but missing' });
    return isFile(file);
  });
  const sizes = await mapLimit(present, 16, (e) => sharp(path.join(root, 'public', `${e.img}.png`)).metadata());
  return present.flatMap((e, i) => {
    const { width = 0, height = 0 } = sizes[i];
    const half = Math.floor(width / 2);
    const file = path.join(root, 'public', `${e.img}.png`);
    const group = `ssr-strips/${e.img}`;
    return [
      { name: e.name.trim(), path: file, group, region: { left: 0, top: 0, width: half, height } },
      { name: e.name.trim(), path: file, group, region: { left: half, top: 0, width: half, height } },
    ];
  });
}

/** "takagaki kaede" with the Japanese name → the character (romaji family-first unless the name is Western). */
export function cgCharacter(nameJa: string, entry?: StripEntry): SourceCharacter {
  const words = entry?.name_en?.trim().toLowerCase().split(/\s+/).filter(Boolean) ?? [];
  if (words.length === 0) return { id: hashedId('cg', nameJa), name: nameJa, nameJa, aliases: [] };
  // Katakana names written with a middle dot (イヴ・サンタクロース, メアリー・コクラン) are Western: given name first.
  const western = nameJa.includes('・');
  const kana = entry?.name_jp?.trim().split(/\s+/) ?? [];
  const kanaExtra = !western && kana.length === 2 ? [kana[1], kana.join('')] : [];
  if (words.length === 1) return personCharacter({ given: words[0], nameJa, extra: kanaExtra });
  const family = western ? words.slice(1).join(' ') : words[0];
  const given = western ? words[0] : words.slice(1).join(' ');
  const givenJa = western ? nameJa.split('・')[0] : undefined;
  return personCharacter({ family, given, westernOrder: western, nameJa, extra: [givenJa, ...kanaExtra] });
}

export async function listCinderellaGirls(dirs: string[]): Promise<SourceListing> {
  if (dirs.length === 0 || dirs.length > 2)
    throw new SourceLayoutError(
      'Cinderella Girls takes one or two folders: a checkout of mufgmixi/cgss-checker and/or of hatoba29/cgss-ssr-checker.',
    );
  const layouts = dirs.map(detectLayout);
  if (layouts.length === 2 && layouts[0].layout === layouts[1].layout)
    throw new SourceLayoutError(`${dirs[0]} and ${dirs[1]} are both ${layouts[0].layout} checkouts; give one of each.`);
  // Card icons first, whatever the order of the folders, so the same icons are kept on every run.
  layouts.sort((a, b) => (a.layout === b.layout ? 0 : a.layout === 'card-icons' ? -1 : 1));
  const skipped: SkippedFile[] = [];
  const romaji = new Map<string, StripEntry>();
  const faces: Face[] = [];
  const sources: SourceRepository[] = [];
  for (const l of layouts) {
    if (l.layout === 'card-icons') {
      faces.push(...cardIconFaces(l.images, skipped));
      sources.push(CARD_ICONS_REPO);
    } else {
      const entries = readStripEntries(l.root);
      for (const e of entries) if (e.name_en && !romaji.has(e.name.trim())) romaji.set(e.name.trim(), e);
      faces.push(...(await stripFaces(l.root, entries, skipped)));
      sources.push(SSR_STRIPS_REPO);
    }
  }

  const idols = faces.filter((f) => {
    if (NOT_IDOLS.has(f.name)) skipped.push({ path: f.path, reason: `not a CG idol (${f.name})` });
    return !NOT_IDOLS.has(f.name);
  });
  const thumbs = await mapLimit(idols, 16, async (f) =>
    thumbnail(await preparedRgb(f.path, { region: f.region, trim: evenTrim(TRIM) })),
  );
  // Near-duplicates: dropped, and their group joined to the kept icon's (union-find over group keys).
  const parent = new Map<string, string>();
  const find = (g: string): string => {
    let root = g;
    while (parent.has(root)) root = parent.get(root)!;
    return root;
  };
  const kept: Array<{ face: Face; thumb: Float32Array }> = [];
  const keptByName = new Map<string, Array<{ face: Face; thumb: Float32Array }>>();
  idols.forEach((face, i) => {
    const same = keptByName.get(face.name) ?? [];
    const twin = same.find((k) => meanAbsDiff(k.thumb, thumbs[i]) < DUPLICATE_DIFF);
    if (twin) {
      const side = face.region ? (face.region.left === 0 ? ' (left)' : ' (right)') : '';
      skipped.push({ path: `${face.path}${side}`, reason: `near-duplicate of ${twin.face.path}` });
      const a = find(face.group);
      const b = find(twin.face.group);
      if (a !== b) parent.set(a, b);
      return;
    }
    const k = { face, thumb: thumbs[i] };
    same.push(k);
    keptByName.set(face.name, same);
    kept.push(k);
  });

  const characters = new Map<string, SourceCharacter>();
  for (const { face } of kept)
    if (!characters.has(face.name)) characters.set(face.name, cgCharacter(face.name, romaji.get(face.name)));
  const ids = new Set<string>();
  for (const c of characters.values()) {
    if (ids.has(c.id)) c.id = hashedId('cg', c.nameJa ?? c.name);
    ids.add(c.id);
  }
  const images: SourceImage[] = kept.map(({ face }) => ({
    characterId: characters.get(face.name)!.id,
    path: face.path,
    kind: 'crop',
    group: find(face.group),
    medium: 'game',
    ...(face.region ? { region: face.region } : {}),
  }));
  return {
    pack: 'cinderella-girls',
    title: 'THE iDOLM@STER Cinderella Girls',
    franchise: 'iM@S CG',
    sources,
    characters: [...characters.values()],
    images,
    skipped,
    prepare: (image) => preparePng(image.path, { region: image.region, trim: evenTrim(TRIM) }),
  };
}
