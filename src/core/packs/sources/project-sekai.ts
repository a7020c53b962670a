/**
 * Project Sekai (Hatsune Miku: Colorful Stage!), 26 characters, from Zenzenzest/pjsk-banners at two
 * commits (the card icons were removed from the repository after the first, the card list after the second):
 * - 491b94f4: `public/images/card_icons/<cardId>[_ut|_t|_bd].webp`, 150×150 card icons with a frame, the
 *   attribute badge (top left), rarity stars (bottom left) and sometimes a ribbon (top right). `_ut` and `_t`
 *   are a card's untrained and trained art (two pictures), `_bd` a birthday card, no suffix a card with one art;
 * - 517e8a6c: `src/assets/json/cards.json` (card `id` → `character`, romaji family name first, and `charId`:
 *   1–26, and 27–56 for the virtual singers in each unit's outfit) and `src/assets/json/jp_banners.json`,
 *   whose birthday and anniversary banners ("[星乃一歌]HAPPY BIRTHDAYガチャ", one character each) give the
 *   Japanese names.
 *
 * One folder holding both (the two extracted into one tree) or two folders, in either order.
 * Icons of cards missing from cards.json (1242 and later at these commits) are left out.
 */
import path from 'node:path';
import { isDir, isFile, listNames, personCharacter, preparePng, readJson, SourceLayoutError } from './common.ts';
import type { SkippedFile, SourceCharacter, SourceImage, SourceListing, SourceRepository } from './types.ts';

export const ICONS_REPO: SourceRepository = {
  repo: 'Zenzenzest/pjsk-banners',
  commit: '491b94f4ec1b7359d584d0e09a01df81e11a94c2',
  paths: ['public/images/card_icons'],
};
export const CARDS_REPO: SourceRepository = {
  repo: 'Zenzenzest/pjsk-banners',
  commit: '517e8a6cae262e71bd34d17c4916d63ebcdf0563',
  paths: ['src/assets/json/cards.json', 'src/assets/json/jp_banners.json'],
};

const ICONS = path.join('public', 'images', 'card_icons');
const CARDS = path.join('src', 'assets', 'json', 'cards.json');
const BANNERS = path.join('src', 'assets', 'json', 'jp_banners.json');
const ICON_FILE = /^(?<card>\d+)(?:_(?<art>ut|t|bd))?\.(?:webp|png|jpe?g)$/i;
/** Frame, attribute badge, stars: keep x 21–92 %, y 5–76 % (a square of 71 % of the side). */
export const TRIM = { left: 0.21, top: 0.05, right: 0.08, bottom: 0.24 };

interface Card {
  id: number;
  character: string;
  charId: number;
}

interface Banner {
  name?: string;
  characters?: number[];
}

/** charId → Japanese name, by majority over the single-character birthday/anniversary banners. */
export function japaneseNames(banners: Banner[]): Map<number, string> {
  const votes = new Map<number, Map<string, number>>();
  for (const b of banners) {
    const m = /^\[([^\]]+)\]\s*HAPPY\s+(?:BIRTHDAY|ANNIVERSARY)/i.exec(b.name ?? '');
    if (!m || b.characters?.length !== 1) continue;
    const forChar = votes.get(b.characters[0]) ?? new Map<string, number>();
    forChar.set(m[1], (forChar.get(m[1]) ?? 0) + 1);
    votes.set(b.characters[0], forChar);
  }
  const out = new Map<number, string>();
  for (const [id, names] of votes) out.set(id, [...names].sort((a, b) => b[1] - a[1])[0][0]);
  return out;
}

export function sekaiCharacter(romaji: string, nameJa?: string): SourceCharacter {
  const words = romaji.trim().split(/\s+/);
  const c =
    words.length === 1
      ? personCharacter({ given: words[0], nameJa })
      : personCharacter({ family: words[0], given: words.slice(1).join(' '), nameJa });
  return { ...c, nameEn: romaji.trim() };
}

function findLayout(dirs: string[]): { icons: string; data: string } {
  const icons = dirs.find((d) => isDir(path.join(d, ICONS)));
  const data = dirs.find((d) => isFile(path.join(d, CARDS)));
  if (!icons || !data) {
    const missing = [icons ? undefined : `${ICONS}/`, data ? undefined : CARDS].filter(Boolean).join(' and ');
    throw new SourceLayoutError(
      `Project Sekai needs ${ICONS}/ (Zenzenzest/pjsk-banners at 491b94f4) and ${CARDS} (at 517e8a6c), ` +
        `in one folder or two; none of ${dirs.join(', ')} has ${missing}.`,
    );
  }
  return { icons: path.resolve(icons, ICONS), data: path.resolve(data) };
}

export async function listProjectSekai(dirs: string[]): Promise<SourceListing> {
  if (dirs.length === 0 || dirs.length > 2)
    throw new SourceLayoutError(
      'Project Sekai takes one or two folders (the icons at 491b94f4, cards.json at 517e8a6c).',
    );
  const where = findLayout(dirs);
  const cardsFile = path.join(where.data, CARDS);
  const cards = readJson<Card[]>(cardsFile, 'the card list');
  if (!Array.isArray(cards) || cards.some((c) => typeof c?.id !== 'number' || typeof c?.character !== 'string'))
    throw new SourceLayoutError(`${cardsFile}: expected a list of cards with id, character and charId.`);
  const bannersFile = path.join(where.data, BANNERS);
  const ja = isFile(bannersFile) ? japaneseNames(readJson<Banner[]>(bannersFile, 'the Japanese banners')) : new Map();

  // One character per romaji name; its charId is the lowest (the virtual singers' unit outfits are 27–56).
  const baseId = new Map<string, number>();
  for (const c of cards) {
    const name = c.character.trim();
    const id = typeof c.charId === 'number' ? c.charId : Number.POSITIVE_INFINITY;
    if (!baseId.has(name) || id < baseId.get(name)!) baseId.set(name, id);
  }
  const characters = new Map<string, SourceCharacter>();
  for (const [name, id] of [...baseId].sort((a, b) => a[1] - b[1]))
    characters.set(name, sekaiCharacter(name, ja.get(id)));
  const byCard = new Map(cards.map((c) => [c.id, characters.get(c.character.trim())!]));

  const skipped: SkippedFile[] = [];
  const images: SourceImage[] = [];
  for (const file of listNames(where.icons)) {
    const full = path.join(where.icons, file);
    const m = ICON_FILE.exec(file);
    if (!m?.groups) {
      skipped.push({ path: full, reason: 'not <cardId>[_ut|_t|_bd].webp' });
      continue;
    }
    const card = Number(m.groups.card);
    const c = byCard.get(card);
    if (!c) {
      skipped.push({ path: full, reason: `card ${card} is not in cards.json` });
      continue;
    }
    const art = m.groups.art?.toLowerCase() ?? 'card';
    // 'art': the face is a small part of a card icon, so the detector crops it as it crops a screenshot's.
    // Measured (bench/results/pack-build-project-sekai-*.json): held-out icons named 0.83 from whole icons,
    // 0.96 from detected faces (409 of 2,064 icons have no face the detector finds; they are left out).
    images.push({ characterId: c.id, path: full, kind: 'art', group: `card/${card}/${art}`, medium: 'game' });
  }
  images.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  return {
    pack: 'project-sekai',
    title: 'Project SEKAI COLORFUL STAGE! feat. Hatsune Miku',
    franchise: 'Project Sekai',
    sources: [ICONS_REPO, CARDS_REPO],
    characters: [...characters.values()],
    images,
    skipped,
    prepare: (image) => preparePng(image.path, { trim: TRIM }),
  };
}
