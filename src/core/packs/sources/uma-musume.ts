/**
 * Uma Musume Pretty Derby, from a checkout of alpha123/uma-tools:
 * - `icons/chara/chr_icon_<chara>.png`: the character's base icon, and
 *   `trained_chr_icon_<chara>_<outfit>_0{1,2}.png`: each outfit's icon in two frames (`_01` and `_02` are the
 *   same face, so they share a group). 256×256, a round frame, transparent outside it;
 * - `umas.json` (root): chara id → `name: [Japanese, English]` for all characters, and
 *   `umalator-global/umas.json`: the global release's English names (no Japanese) for those released
 *   there, kept as aliases where they differ ("T.M. Opera O").
 *
 * Prepare keeps the disc inside the frame (centre 127, 140 of 256; radius 100) and paints outside it white.
 */
import path from 'node:path';
import { isDir, isFile, listNames, preparePng, readJson, SourceLayoutError, slugify, uniqueAliases } from './common.ts';
import type { SkippedFile, SourceCharacter, SourceImage, SourceListing, SourceRepository } from './types.ts';

export const UMA_REPO: SourceRepository = {
  repo: 'alpha123/uma-tools',
  commit: 'cdb7ead2456972a246a81053e3e4081eec549271',
  paths: ['icons/chara', 'umas.json', 'umalator-global/umas.json'],
};

const CHARA = path.join('icons', 'chara');
const ICON_FILE = /^(?:chr_icon_(?<base>\d{4})|trained_chr_icon_(?<chara>\d{4})_(?<outfit>\d+)_(?<frame>\d+))\.png$/;
/** The disc inside the round frame, as fractions of the 256-px side: x 27–227, y 40–240. */
export const TRIM = { left: 27 / 256, top: 40 / 256, right: 29 / 256, bottom: 16 / 256 };

type Umas = Record<string, { name?: [string, string] | string[] }>;

export function umaCharacter(charaId: string, names: string[], globalEn?: string): SourceCharacter {
  const [ja, en] = [names[0]?.trim() || undefined, names[1]?.trim() || undefined];
  const name = en ?? globalEn ?? ja ?? `Uma ${charaId}`;
  return {
    id: en || globalEn ? slugify(name) || `uma-${charaId}` : `uma-${charaId}`,
    name,
    nameJa: ja,
    nameEn: en ?? globalEn,
    aliases: uniqueAliases(name, [ja, globalEn, en?.toLowerCase()]),
  };
}

export async function listUmaMusume(dirs: string[]): Promise<SourceListing> {
  if (dirs.length !== 1) throw new SourceLayoutError('Uma Musume takes one folder: a checkout of alpha123/uma-tools.');
  const root = path.resolve(dirs[0]);
  const umasFile = path.join(root, 'umas.json');
  if (!isDir(path.join(root, CHARA)) || !isFile(umasFile))
    throw new SourceLayoutError(`${root} is not a checkout of alpha123/uma-tools: it needs ${CHARA}/ and umas.json.`);
  const umas = readJson<Umas>(umasFile, 'the character list');
  const globalFile = path.join(root, 'umalator-global', 'umas.json');
  const global = isFile(globalFile) ? readJson<Umas>(globalFile, 'the global character list') : {};
  if (typeof umas !== 'object' || umas === null || Array.isArray(umas))
    throw new SourceLayoutError(`${umasFile}: expected an object of chara id → {name: [Japanese, English]}.`);

  const characters = new Map<string, SourceCharacter>();
  const ids = new Set<string>();
  for (const charaId of Object.keys(umas).sort()) {
    const c = umaCharacter(charaId, umas[charaId]?.name ?? [], global[charaId]?.name?.[1]?.trim() || undefined);
    if (ids.has(c.id)) c.id = `uma-${charaId}`;
    ids.add(c.id);
    characters.set(charaId, c);
  }

  const skipped: SkippedFile[] = [];
  const images: SourceImage[] = [];
  const folder = path.join(root, CHARA);
  for (const file of listNames(folder)) {
    const full = path.join(folder, file);
    const m = ICON_FILE.exec(file);
    if (!m?.groups) {
      skipped.push({ path: full, reason: 'not chr_icon_<id>.png or trained_chr_icon_<id>_<outfit>_0N.png' });
      continue;
    }
    const charaId = m.groups.base ?? m.groups.chara;
    const c = characters.get(charaId);
    if (!c) {
      skipped.push({ path: full, reason: `chara ${charaId} is not in umas.json` });
      continue;
    }
    const group = m.groups.base ? `chr_icon/${charaId}` : `trained/${charaId}_${m.groups.outfit}`;
    // 'art': the detector crops the face as in a screenshot; held-out icons were named 0.97 that way, 0.94
    // from the whole (masked) icon (bench/results/pack-build-uma-musume-*.json).
    images.push({ characterId: c.id, path: full, kind: 'art', group, medium: 'game' });
  }
  return {
    pack: 'uma-musume',
    title: 'Uma Musume Pretty Derby',
    franchise: 'Uma Musume',
    sources: [UMA_REPO],
    characters: [...characters.values()],
    images,
    skipped,
    prepare: (image) => preparePng(image.path, { trim: TRIM, circle: true }),
  };
}
