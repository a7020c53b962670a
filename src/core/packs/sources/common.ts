/**
 * What the source adapters share: reading a checkout (folders, JSON), names (slugs, romaji spellings,
 * aliases) and the pictures' preparation (region, trim, circle mask, alpha onto white, PNG out).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, sniffImageType } from '../../decode.ts';
import { UserFacingError } from '../../user-facing-error.ts';
import type { ImageRegion, SourceCharacter, SourceImage } from './types.ts';

/** A folder given to an adapter is not a checkout of the layout it reads (or misses a file it needs). */
export class SourceLayoutError extends UserFacingError {}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Names in a folder, sorted by code point (as Python's sorted(os.listdir) does), hidden files left out. */
export function listNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function readJson<T = unknown>(file: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SourceLayoutError(`${file}: cannot read ${what}.`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as T;
  } catch (err) {
    throw new SourceLayoutError(`${file}: ${what} is not valid JSON (${(err as Error).message}).`);
  }
}

/** The image type of a file from its first bytes (never its name), or undefined when it is not an image. */
export function sniffFile(file: string): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(32);
    const n = readSync(fd, head, 0, head.length, 0);
    return sniffImageType(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Runs `fn` over `items`, at most `limit` at once, keeping the order of the results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker() {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---- names ----

/** Lower-case ASCII slug: "Takagaki Kaede" → "takagaki-kaede", "T.M. Opera O" → "t-m-opera-o". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** "takagaki kaede" → "Takagaki Kaede" (only the first letter of each word changes). */
export function titleCase(text: string): string {
  return text
    .trim()
    .split(/\s+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * A Japanese name in romaji as fans and the official English releases mostly spell it: "syoko" → "shoko",
 * "ootsuki" → "otsuki", "yuuki" → "yuki", "ohta" → "ota". "ou" stays: it is a long o in "jougasaki" but
 * two sounds in "koume", and the spelling cannot tell them apart. Doubled i ("shiina", "fujii") stays too.
 * For Japanese names only.
 */
export function simplifyRomaji(word: string): string {
  return word
    .replace(/sy([aou])/gi, (_m, v: string) => `sh${v}`)
    .replace(/([aeiou])h(?=[bcdfgjklmnprstvwz])/gi, '$1')
    .replace(/oo/gi, 'o')
    .replace(/uu/gi, 'u');
}

/** Aliases without blanks and without repeats (case-insensitive), leaving out the display name itself. */
export function uniqueAliases(display: string, aliases: Array<string | undefined>): string[] {
  const seen = new Set([display.toLowerCase()]);
  const out: string[] = [];
  for (const a of aliases) {
    const alias = a?.replace(/\s+/g, ' ').trim();
    if (!alias || seen.has(alias.toLowerCase())) continue;
    seen.add(alias.toLowerCase());
    out.push(alias);
  }
  return out;
}

export interface PersonName {
  /** Romaji family name as the source spells it ("takagaki"), or undefined for a one-word name. */
  family?: string;
  /** Romaji given name ("kaede"), or the one word of a one-word name ("anastasia"). */
  given: string;
  /** Written given-name first in English (Western names: "Mary Cochran"). */
  westernOrder?: boolean;
  nameJa?: string;
  /** More names people type (Japanese given name, kana, other spellings). */
  extra?: Array<string | undefined>;
}

/**
 * A character from a romaji name: display "Family Given" (Western names "Given Family"), spelled
 * plainly (simplifyRomaji, Japanese names only); aliases: the given name, both orders, the source's own
 * spelling where it differs, the Japanese name and `extra`.
 */
export function personCharacter(p: PersonName, id?: string): SourceCharacter {
  const simplify = (w: string | undefined) => (w === undefined || p.westernOrder ? w : simplifyRomaji(w));
  const given = titleCase(simplify(p.given)!);
  const family = p.family === undefined ? undefined : titleCase(simplify(p.family)!);
  const name = family === undefined ? given : p.westernOrder ? `${given} ${family}` : `${family} ${given}`;
  const reversed = family === undefined ? undefined : p.westernOrder ? `${family} ${given}` : `${given} ${family}`;
  const sourceGiven = titleCase(p.given);
  const sourceFamily = p.family === undefined ? undefined : titleCase(p.family);
  const sourceOrders =
    sourceFamily === undefined ? [] : [`${sourceFamily} ${sourceGiven}`, `${sourceGiven} ${sourceFamily}`];
  return {
    id: id ?? slugify(name),
    name,
    nameJa: p.nameJa,
    nameEn: name,
    aliases: uniqueAliases(name, [
      given.toLowerCase(),
      sourceGiven.toLowerCase(),
      reversed,
      ...sourceOrders,
      p.nameJa,
      ...(p.extra ?? []),
    ]),
  };
}

/** A short stable id for a name without romaji: `<prefix>-` and 8 hex digits of its FNV-1a hash. */
export function hashedId(prefix: string, text: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text.normalize('NFC'), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${prefix}-${h.toString(16).padStart(8, '0')}`;
}

// ---- pictures ----

export interface PrepareOptions {
  /** Part of the file to take first (a strip's half). */
  region?: ImageRegion;
  /** Fractions of the (region's) width and height to cut from each side. */
  trim?: { left: number; top: number; right: number; bottom: number };
  /** Paint everything outside the largest circle that fits the result white (round icon frames). */
  circle?: boolean;
}

/** Same fraction on every side. */
export function evenTrim(fraction: number): NonNullable<PrepareOptions['trim']> {
  return { left: fraction, top: fraction, right: fraction, bottom: fraction };
}

/** The rectangle PrepareOptions cut from an image of the given size (trim rounded per side, as cgss.py does). */
export function cropRectangle(width: number, height: number, options: PrepareOptions): ImageRegion {
  const r = options.region ?? { left: 0, top: 0, width, height };
  if (r.left < 0 || r.top < 0 || r.left + r.width > width || r.top + r.height > height)
    throw new SourceLayoutError(`a region (${JSON.stringify(r)}) lies outside the ${width}×${height} image.`);
  const t = options.trim ?? evenTrim(0);
  const left = Math.round(r.width * t.left);
  const right = Math.round(r.width * t.right);
  const top = Math.round(r.height * t.top);
  const bottom = Math.round(r.height * t.bottom);
  return {
    left: r.left + left,
    top: r.top + top,
    width: Math.max(1, r.width - left - right),
    height: Math.max(1, r.height - top - bottom),
  };
}

/** RGB pixels (alpha flattened onto white) of the cut-out part of a file. */
export async function preparedRgb(
  file: string,
  options: PrepareOptions,
): Promise<{ data: Buffer; width: number; height: number }> {
  const meta = await sharp(file).metadata();
  if (!meta.width || !meta.height) throw new SourceLayoutError(`${file}: not an image sharp can read.`);
  const rect = cropRectangle(meta.width, meta.height, options);
  const { data, info } = await sharp(file)
    .extract(rect)
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (options.circle) {
    const cx = (info.width - 1) / 2;
    const cy = (info.height - 1) / 2;
    const r2 = (Math.min(info.width, info.height) / 2) ** 2;
    for (let y = 0; y < info.height; y++)
      for (let x = 0; x < info.width; x++)
        if ((x - cx) ** 2 + (y - cy) ** 2 > r2) data.fill(255, (y * info.width + x) * 3, (y * info.width + x + 1) * 3);
  }
  return { data, width: info.width, height: info.height };
}

/** The cut-out part of a file as an RGB PNG (the crop kind's prepare). */
export async function preparePng(file: string, options: PrepareOptions = {}): Promise<Buffer> {
  const rgb = await preparedRgb(file, options);
  return sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A large picture decoded as the product decodes uploads (orientation, alpha onto white, at most 2048 px), as PNG. */
export async function prepareArtPng(file: string): Promise<Buffer> {
  const img = await decodeImage(readFileSync(file));
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
}

/** 24×24 grey thumbnail (0–255 floats) of a prepared face, to find near-duplicates as cgss.py does. */
export async function thumbnail(rgb: { data: Buffer; width: number; height: number }): Promise<Float32Array> {
  // Grey first (ITU-R 601 luma, as PIL's convert("L")), then the 24×24 resize.
  const grey = Buffer.alloc(rgb.width * rgb.height);
  for (let i = 0; i < grey.length; i++)
    grey[i] = Math.round((rgb.data[3 * i] * 299 + rgb.data[3 * i + 1] * 587 + rgb.data[3 * i + 2] * 114) / 1000);
  const small = await sharp(grey, { raw: { width: rgb.width, height: rgb.height, channels: 1 } })
    .resize(24, 24, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return Float32Array.from(small);
}

export function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Absolute path of `rel` inside `root`. */
export function inside(root: string, ...rel: string[]): string {
  return path.resolve(root, ...rel);
}

/** Characters that have at least one image, in the order given. */
export function withImages(characters: SourceCharacter[], images: SourceImage[]): SourceCharacter[] {
  const used = new Set(images.map((i) => i.characterId));
  return characters.filter((c) => used.has(c.id));
}
