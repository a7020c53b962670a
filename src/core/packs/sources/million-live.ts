/**
 * THE iDOLM@STER Million Live (765 Pro's 52 idols: the 13 of the original game and the 39 of Million
 * Live), from a checkout of tankarup/ML-4koma-viewer:
 * - `icons/<romaji>.jpg`: game art of each face (~90×90, no frame), the pack's references;
 * - `icons/anime/<romaji>.jpg`: the same idols' faces from the anime, a measure set never put in the pack;
 * - `main.js`: two tables in template literals, `idol_icons_data` (romaji file stem → Japanese given name →
 *   colour) and `idol_names` (Japanese given name → full name and other spellings).
 *
 * main.js also has icons of staff and of other rosters (音無小鳥, 青羽美咲, the producer, 高木社長, 黒井社長,
 * そら, 詩花, 玲音); they are left out. main.js has no romaji family names, so the 52 idols' family names
 * are written below (the spelling fans and the official English releases use; aliases add the plain one).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDir, isFile, listNames, personCharacter, preparePng, SourceLayoutError } from './common.ts';
import type { SkippedFile, SourceCharacter, SourceImage, SourceListing, SourceRepository } from './types.ts';

export const ML_REPO: SourceRepository = {
  repo: 'tankarup/ML-4koma-viewer',
  commit: '2dec608bb7cc43bf17ad0c456dc7e36d2f2a0505',
  paths: ['icons', 'main.js'],
};

interface Idol {
  /** Romaji family name as commonly spelled (long vowels as "ou"); none for a one-name idol. */
  family?: string;
  /** Romaji given name where it is not the file stem. */
  given?: string;
  /** English order: given name first. */
  western?: boolean;
}

/** The 52 idols of 765 Pro by file stem, in main.js's order. */
export const ML_IDOLS: Record<string, Idol> = {
  haruka: { family: 'amami' },
  chihaya: { family: 'kisaragi' },
  miki: { family: 'hoshii' },
  yukiho: { family: 'hagiwara' },
  yayoi: { family: 'takatsuki' },
  makoto: { family: 'kikuchi' },
  iori: { family: 'minase' },
  takane: { family: 'shijou' },
  ritsuko: { family: 'akizuki' },
  azusa: { family: 'miura' },
  ami: { family: 'futami' },
  mami: { family: 'futami' },
  hibiki: { family: 'ganaha' },
  mirai: { family: 'kasuga' },
  shizuka: { family: 'mogami' },
  tsubasa: { family: 'ibuki' },
  kotoha: { family: 'tanaka' },
  elena: { family: 'shimabara' },
  minako: { family: 'satake' },
  megumi: { family: 'tokoro' },
  matsuri: { family: 'tokugawa' },
  serika: { family: 'hakozaki' },
  akane: { family: 'nonohara' },
  anna: { family: 'mochizuki' },
  roco: { family: 'handa', given: 'roco' },
  yuriko: { family: 'nanao' },
  sayoko: { family: 'takayama' },
  arisa: { family: 'matsuda' },
  umi: { family: 'kousaka' },
  iku: { family: 'nakatani' },
  tomoka: { family: 'tenkuubashi' },
  emily: { family: 'stewart', western: true },
  shiho: { family: 'kitazawa' },
  ayumu: { family: 'maihama' },
  hinata: { family: 'kinoshita' },
  kana: { family: 'yabuki' },
  nao: { family: 'yokoyama' },
  chizuru: { family: 'nikaidou' },
  konomi: { family: 'baba' },
  tamaki: { family: 'oogami' },
  fuka: { family: 'toyokawa', given: 'fuuka' },
  miya: { family: 'miyao' },
  noriko: { family: 'fukuda' },
  mizuki: { family: 'makabe' },
  karen: { family: 'shinomiya' },
  rio: { family: 'momose' },
  subaru: { family: 'nagayoshi' },
  reika: { family: 'kitakami' },
  momoko: { family: 'suou' },
  julia: {},
  tsumugi: { family: 'shiraishi' },
  kaori: { family: 'sakuramori' },
};

/** The text of a template literal `const <name> = `…`` in main.js. */
function templateLiteral(source: string, name: string, file: string): string {
  const m = new RegExp(`(?:const|let|var)\\s+${name}\\s*=\\s*\`([^\`]*)\``).exec(source);
  if (!m) throw new SourceLayoutError(`${file}: no \`${name}\` table; is this tankarup/ML-4koma-viewer's main.js?`);
  return m[1];
}

function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.split('\t').map((cell) => cell.trim()))
    .filter((cells) => cells[0]);
}

export interface MainJsTables {
  /** File stem → Japanese given name (as the icon table names it). */
  icons: Map<string, string>;
  /** Japanese given name → every name of its row (first the given name, last the full name). */
  names: Map<string, string[]>;
}

export function parseMainJs(source: string, file = 'main.js'): MainJsTables {
  const icons = new Map<string, string>();
  for (const [stem, given] of tableRows(templateLiteral(source, 'idol_icons_data', file)))
    if (given) icons.set(stem, given);
  const names = new Map<string, string[]>();
  for (const row of tableRows(templateLiteral(source, 'idol_names', file))) names.set(row[0], row.filter(Boolean));
  return { icons, names };
}

export function mlCharacter(stem: string, idol: Idol, row: string[]): SourceCharacter {
  const nameJa = row.length > 1 ? row[row.length - 1] : row[0];
  return personCharacter({
    family: idol.family,
    given: idol.given ?? stem,
    westernOrder: idol.western,
    nameJa,
    extra: row,
  });
}

export async function listMillionLive(dirs: string[]): Promise<SourceListing> {
  if (dirs.length !== 1)
    throw new SourceLayoutError('Million Live takes one folder: a checkout of tankarup/ML-4koma-viewer.');
  const root = path.resolve(dirs[0]);
  const mainJs = path.join(root, 'main.js');
  const icons = path.join(root, 'icons');
  if (!isFile(mainJs) || !isDir(icons))
    throw new SourceLayoutError(
      `${root} is not a checkout of tankarup/ML-4koma-viewer: it needs main.js and icons/<romaji>.jpg.`,
    );
  const tables = parseMainJs(readFileSync(mainJs, 'utf8'), mainJs);
  const skipped: SkippedFile[] = [];
  const characters = new Map<string, SourceCharacter>();
  for (const [stem, idol] of Object.entries(ML_IDOLS)) {
    const given = tables.icons.get(stem);
    const row = given === undefined ? undefined : tables.names.get(given);
    if (!given || !row) {
      skipped.push({ path: mainJs, reason: `${stem}: not in main.js's tables` });
      continue;
    }
    characters.set(stem, mlCharacter(stem, idol, row));
  }

  const list = (folder: string, medium: string): SourceImage[] => {
    if (!isDir(folder)) return [];
    const out: SourceImage[] = [];
    for (const file of listNames(folder)) {
      const full = path.join(folder, file);
      if (!isFile(full)) continue;
      const m = /^(.+)\.(?:jpe?g|png|webp)$/i.exec(file);
      const c = m ? characters.get(m[1]) : undefined;
      if (!c) {
        const who = m ? tables.icons.get(m[1]) : undefined;
        skipped.push({ path: full, reason: `not one of the 52 idols${who ? ` (${who})` : ''}` });
        continue;
      }
      // Game icons go through the detector (the face cropped as in a screenshot): the anime faces were named
      // 0.90 from detected faces, 0.87 from whole icons (bench/results/pack-build-million-live-*.json).
      const kind = medium === 'game' ? 'art' : 'crop';
      out.push({ characterId: c.id, path: full, kind, group: `${medium}/${m![1]}`, medium });
    }
    return out;
  };
  const images = list(icons, 'game');
  const measure = list(path.join(icons, 'anime'), 'anime');
  return {
    pack: 'million-live',
    title: 'THE iDOLM@STER Million Live!',
    franchise: 'iM@S ML',
    sources: [ML_REPO],
    characters: [...characters.values()],
    images,
    measure,
    skipped,
    // The icons have no frame: the whole picture, alpha (if any) onto white.
    prepare: (image) => preparePng(image.path),
  };
}
