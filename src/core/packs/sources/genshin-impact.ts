/**
 * Genshin Impact, from a checkout of genshindev/api:
 * - `assets/images/characters/<name>/icon-big` and `icon-side`: face icons (crop kind); `card` and
 *   `portrait`: large art (art kind: the builder finds the face). The files have no extension and mixed
 *   formats (PNG, WebP, JPEG): the type is read from the bytes. `gacha-card` and `gacha-splash` are kept
 *   out (they are for measuring), as are talents, constellations and outfits;
 * - `assets/data/characters/<name>/en.json` (`name`, `nation`) and, for some, `jp.json` (`name`, with the
 *   reading in brackets: "神里　綾華(かみさと　あやか)").
 *
 * The five `traveler-<element>` folders show both twins in `icon-big`, `portrait` and `card` (left out);
 * `icon-big-aether`, `icon-side-aether` and `portraitm` are Aether, the `-lumine` ones and `portraitf` Lumine.
 * Files with the same bytes (the twins' icons repeat across elements) share a group. `icon-side` shows the head
 * in profile, often mostly from behind: those images carry `pose: 'side'`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  isDir,
  isFile,
  listNames,
  prepareArtPng,
  preparePng,
  readJson,
  SourceLayoutError,
  slugify,
  sniffFile,
  titleCase,
  uniqueAliases,
} from './common.ts';
import type { SkippedFile, SourceCharacter, SourceImage, SourceListing, SourceRepository } from './types.ts';

export const GENSHIN_REPO: SourceRepository = {
  repo: 'genshindev/api',
  commit: '7f26a658ef6e6861bbcb9c190f084962a188622b',
  paths: [
    'assets/images/characters/*/{icon-big,icon-side,card,portrait}',
    'assets/images/characters/traveler-*/{icon-big-aether,icon-big-lumine,icon-side-aether,icon-side-lumine,portraitm,portraitf}',
    'assets/data/characters',
  ],
};

const IMAGES = path.join('assets', 'images', 'characters');
const DATA = path.join('assets', 'data', 'characters');
// Every picture goes through the detector ('art'), so references are cropped like a screenshot's faces.
// `icon-side` is listed but not used: it shows the head in profile or from behind. Measured on held-out
// icons (bench/results/pack-build-genshin-impact-*.json): whole icons with side icons 0.75, detected faces
// with side icons 0.81, detected faces without them 0.88.
const KINDS: Record<string, 'crop' | 'art'> = { 'icon-big': 'art', 'icon-side': 'art', card: 'art', portrait: 'art' };
const TWINS: Record<string, { character: SourceCharacter; files: Record<string, 'crop' | 'art'> }> = {
  aether: {
    character: {
      id: 'aether',
      name: 'Aether',
      nameJa: '空',
      nameEn: 'Aether',
      aliases: ['Traveler', '主人公', 'Sora'],
    },
    files: { 'icon-big-aether': 'art', 'icon-side-aether': 'art', portraitm: 'art' },
  },
  lumine: {
    character: {
      id: 'lumine',
      name: 'Lumine',
      nameJa: '蛍',
      nameEn: 'Lumine',
      aliases: ['Traveler', '主人公', 'Hotaru'],
    },
    files: { 'icon-big-lumine': 'art', 'icon-side-lumine': 'art', portraitf: 'art' },
  },
};
const TWIN_BOTH = new Set(['icon-big', 'portrait', 'card']);

interface Profile {
  name?: string;
  nation?: string;
}

/** "神里　綾華(かみさと　あやか)" → ["神里綾華", "かみさとあやか"]; "北斗(ホクト)" → ["北斗", "ホクト"]. */
export function splitJapaneseName(text: string): [string, string | undefined] {
  const m = /^([^(（]*)[(（]([^)）]*)[)）]\s*$/.exec(text.trim());
  const strip = (s: string) => s.replace(/[\s\u3000]+/g, '');
  return m ? [strip(m[1]), strip(m[2]) || undefined] : [strip(text), undefined];
}

export function genshinCharacter(folder: string, en?: Profile, jp?: Profile): SourceCharacter {
  const folderWords = folder.replace(/-/g, ' ');
  const name = en?.name?.trim() || titleCase(folderWords);
  const [nameJa, reading] = jp?.name ? splitJapaneseName(jp.name) : [undefined, undefined];
  const words = name.split(/\s+/);
  // Inazuma names are family name first ("Kamisato Ayaka"): people type the given name too.
  const inazuma = en?.nation?.toLowerCase() === 'inazuma' && words.length === 2;
  return {
    id: slugify(folder) || slugify(name),
    name,
    ...(nameJa ? { nameJa } : {}),
    nameEn: name,
    aliases: uniqueAliases(name, [
      folderWords,
      ...(inazuma ? [words[1].toLowerCase(), `${words[1]} ${words[0]}`] : []),
      nameJa,
      reading,
    ]),
  };
}

export async function listGenshinImpact(dirs: string[]): Promise<SourceListing> {
  if (dirs.length !== 1) throw new SourceLayoutError('Genshin Impact takes one folder: a checkout of genshindev/api.');
  const root = path.resolve(dirs[0]);
  const imagesDir = path.join(root, IMAGES);
  if (!isDir(imagesDir))
    throw new SourceLayoutError(`${root} is not a checkout of genshindev/api: it has no ${IMAGES}/.`);
  const skipped: SkippedFile[] = [];
  const characters = new Map<string, SourceCharacter>();
  const found: Array<{ characterId: string; path: string; kind: 'crop' | 'art'; key: string }> = [];
  const profile = (folder: string, lang: string): Profile | undefined => {
    const file = path.join(root, DATA, folder, `${lang}.json`);
    return isFile(file) ? readJson<Profile>(file, `${folder}'s ${lang} profile`) : undefined;
  };
  const take = (characterId: string, folder: string, file: string, kind: 'crop' | 'art') => {
    const full = path.join(imagesDir, folder, file);
    if (!isFile(full)) return;
    if (!sniffFile(full)) {
      skipped.push({ path: full, reason: 'not an image (by its bytes)' });
      return;
    }
    if (file.startsWith('icon-side')) {
      skipped.push({ path: full, reason: 'the head in profile or from behind: not a face reference' });
      return;
    }
    found.push({ characterId, path: full, kind, key: `${folder}/${file}` });
  };

  for (const folder of listNames(imagesDir)) {
    if (!isDir(path.join(imagesDir, folder))) continue;
    if (folder.startsWith('traveler')) {
      for (const twin of Object.values(TWINS)) {
        if (!characters.has(twin.character.id)) characters.set(twin.character.id, { ...twin.character });
        for (const [file, kind] of Object.entries(twin.files)) take(twin.character.id, folder, file, kind);
      }
      for (const file of TWIN_BOTH)
        if (isFile(path.join(imagesDir, folder, file)))
          skipped.push({ path: path.join(imagesDir, folder, file), reason: 'shows both travellers' });
      continue;
    }
    const c = genshinCharacter(folder, profile(folder, 'en'), profile(folder, 'jp'));
    characters.set(c.id, c);
    for (const [file, kind] of Object.entries(KINDS)) take(c.id, folder, file, kind);
  }

  // Same bytes, same group: hash only files whose size another file shares.
  const bySize = new Map<number, number>();
  const sizes = found.map((f) => statSync(f.path).size);
  for (const s of sizes) bySize.set(s, (bySize.get(s) ?? 0) + 1);
  const firstKey = new Map<string, string>();
  const images: SourceImage[] = found.map((f, i) => {
    let group = f.key;
    if (bySize.get(sizes[i])! > 1) {
      const digest = createHash('sha1').update(readFileSync(f.path)).digest('hex');
      if (!firstKey.has(digest)) firstKey.set(digest, f.key);
      group = firstKey.get(digest)!;
    }
    const side = /^icon-side/.test(path.basename(f.path));
    return {
      characterId: f.characterId,
      path: f.path,
      kind: f.kind,
      group,
      medium: 'game',
      ...(side ? { pose: 'side' as const } : {}),
    };
  });
  return {
    pack: 'genshin-impact',
    title: 'Genshin Impact',
    franchise: 'Genshin',
    sources: [GENSHIN_REPO],
    characters: [...characters.values()],
    images,
    skipped,
    prepare: (image) => (image.kind === 'art' ? prepareArtPng(image.path) : preparePng(image.path)),
  };
}
