import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { gateMargin, predict, trainHead, withGateShift, type HeadModel } from '../../core/head/softmax-head.ts';
import { labelledFiles } from '../../core/labelled-files.ts';
import { decodePack, encodePack, type PackCharacter } from '../../core/packs/pack-file.ts';
import { seededRandom, shuffled } from '../../core/eval/random.ts';
import type { EmbedderRegistry } from '../embedder-registry.ts';
import { UserInputError } from '../errors.ts';
import type { RecognitionService } from '../recognition.ts';

/** A character and the names people call it by, as a source lists it. */
export type BuildCharacter = PackCharacter;

export interface BuildImage {
  characterId: string;
  path: string;
  /** 'crop': the picture is a face icon; 'art': a large picture, in which the detector finds the face. */
  kind: 'crop' | 'art';
  /** Pictures of one group are the same face (one card in two frames): held out together. */
  group: string;
  medium?: string;
}

/** What a pack is built from: a data repository's checkout read by its source adapter, or a labelled folder. */
export interface BuildSource {
  pack: string;
  title: string;
  franchise: string;
  sources: Array<{ repo: string; commit: string; paths: string[] }>;
  characters: BuildCharacter[];
  images: BuildImage[];
  /** Faces never put in the pack, only named with it (Million Live's anime faces). */
  measure?: BuildImage[];
  /** The picture to embed (a trimmed icon, or the decoded art), encoded. */
  prepare(image: BuildImage): Promise<Buffer>;
}

export interface BuildOptions {
  /** Held out per character: 1 group when it has 2–5, 2 when it has 6 or more (never in the pack). Default true. */
  holdOut?: boolean;
  /** References kept per character at most, the most varied first (farthest-point order). */
  maxPerCharacter?: number;
  seed?: number;
  /**
   * Centre crops (fractions of the side) embedded as references of their own besides the whole icon; default
   * [1]. Measured on Million Live (one icon per idol, naming its anime faces): [1, 0.85, 0.7] named 0.35
   * against 0.87, because near-copies of one face make the open-set gate, calibrated leave-one-out on the
   * references, far too strict.
   */
  views?: number[];
  built?: string;
  /**
   * Faces of characters not in this pack (other games' packs, for the same embedder): the gate is raised
   * until at most IMPOSTOR_ACCEPTANCE of them pass it, since faces of games the pack does not have are what a
   * server's screenshots hold besides its own.
   */
  impostors?: Float32Array[];
  onProgress?: (done: number, total: number) => void;
}

export interface BuildReport {
  pack: string;
  embedder: string;
  characters: number;
  charactersWithoutReferences: string[];
  images: number;
  /** Pictures where no face was found, or that could not be read. */
  skipped: Array<{ path: string; why: string }>;
  references: number;
  heldOut: { faces: number; namedRight: number; unknown: number; accuracy: number | null };
  measure?: { faces: number; namedRight: number; unknown: number; accuracy: number | null };
  /** The gate's calibration on other games' faces, when impostors were given. */
  gate?: { impostors: number; acceptance: number; shift: number };
  bytes: number;
  seconds: number;
}

export const DEFAULT_MAX_PER_CHARACTER = 48;
/**
 * The share of other games' faces a pack's gate may let through. Chosen before measuring (2026-12-08): five
 * packs at 0.02 each keep at most about a tenth of such faces named, inside the 0.80 "unknown" target.
 */
export const IMPOSTOR_ACCEPTANCE = 0.02;
/** What a pack's references may take (int8: one byte per value), so a shipped pack stays under 4 MB. */
export const REFERENCE_BUDGET_BYTES = 3.6 * 1024 * 1024;

interface Embedded {
  image: BuildImage;
  vector: Float32Array;
}

/** Builds roster packs with the product's own path: the same crop and the same mirror-averaged embedder. */
export class PackBuilder {
  constructor(
    private readonly recognition: RecognitionService,
    private readonly embedders: EmbedderRegistry,
  ) {}

  async build(source: BuildSource, options: BuildOptions = {}): Promise<{ bytes: Buffer; report: BuildReport }> {
    const started = performance.now();
    const embedder = this.embedders.activeVersion();
    const known = new Set(source.characters.map((c) => c.id));
    const stray = source.images.find((i) => !known.has(i.characterId));
    if (stray)
      throw new UserInputError(`${stray.path} belongs to "${stray.characterId}", which the source does not list.`);
    const skipped: BuildReport['skipped'] = [];
    const all = [...source.images, ...(source.measure ?? [])];
    const embedded: Embedded[] = [];
    const measured: Embedded[] = [];
    const measureSet = new Set(source.measure ?? []);
    const root = commonFolder(all.map((i) => i.path));
    const views = options.views ?? [1];
    for (const [i, image] of all.entries()) {
      const vectors = await this.embed(source, image, measureSet.has(image) ? [1] : views).catch((err: Error) => {
        // Relative to the checkout: a report names no folder of the building machine.
        skipped.push({ path: path.relative(root, image.path), why: err.message });
        return [];
      });
      for (const vector of vectors) (measureSet.has(image) ? measured : embedded).push({ image, vector });
      options.onProgress?.(i + 1, all.length);
    }

    const { kept, heldOut } =
      options.holdOut === false ? { kept: embedded, heldOut: [] } : holdOutGroups(embedded, options.seed ?? 0);
    const byCharacter = new Map<string, Embedded[]>();
    for (const e of kept) byCharacter.set(e.image.characterId, [...(byCharacter.get(e.image.characterId) ?? []), e]);
    const dimOf = kept[0]?.vector.length ?? 1;
    const budget = Math.floor(REFERENCE_BUDGET_BYTES / dimOf / Math.max(1, byCharacter.size));
    const max = options.maxPerCharacter ?? Math.max(1, Math.min(DEFAULT_MAX_PER_CHARACTER, budget));
    const characterIndex: number[] = [];
    const vectors: Float32Array[] = [];
    source.characters.forEach((c, index) => {
      for (const v of representatives(byCharacter.get(c.id) ?? [], max, options.seed ?? 0)) {
        characterIndex.push(index);
        vectors.push(v.vector);
      }
    });
    if (vectors.length === 0)
      throw new UserInputError('No face could be embedded from that source: the pack would be empty.');
    const dim = vectors[0].length;

    const flat = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => flat.set(v, i * dim));
    const content = (gateShift?: number, metrics?: Record<string, unknown>) => ({
      id: source.pack,
      title: source.title,
      franchise: source.franchise,
      built: options.built ?? new Date().toISOString().slice(0, 10),
      sources: source.sources,
      characters: source.characters,
      references: [{ embedder, dim, characterIndex, vectors: flat, ...(gateShift !== undefined ? { gateShift } : {}) }],
      ...(metrics ? { metrics } : {}),
    });
    // The head as a server will fit it: on the vectors read back from the file (int8), not the ones embedded here.
    const [stored] = decodePack(encodePack(content())).references;
    const fitted = await trainHead(
      Array.from({ length: characterIndex.length }, (_, i) => stored.vectors.subarray(i * dim, (i + 1) * dim)),
      characterIndex.map((i) => source.characters[i].id),
    );
    const impostors = (options.impostors ?? []).filter((v) => v.length === dim);
    const gateShift = impostors.length > 0 ? impostorShift(fitted, impostors, IMPOSTOR_ACCEPTANCE) : undefined;
    const head = withGateShift(fitted, gateShift ?? 0);
    const score = (faces: Embedded[]) => {
      let namedRight = 0;
      let unknown = 0;
      for (const f of faces) {
        const p = predict(head, f.vector);
        if (p.label === null) unknown++;
        else if (p.label === f.image.characterId) namedRight++;
      }
      return {
        faces: faces.length,
        namedRight,
        unknown,
        accuracy: faces.length ? round(namedRight / faces.length) : null,
      };
    };
    const heldOutScore = score(heldOut);
    const measureScore = source.measure ? score(measured) : undefined;
    const charactersWithoutReferences = source.characters.filter((c) => !byCharacter.has(c.id)).map((c) => c.id);

    const gate =
      gateShift === undefined
        ? undefined
        : { impostors: impostors.length, acceptance: IMPOSTOR_ACCEPTANCE, shift: round(gateShift) };
    const metrics = {
      embedder,
      references: vectors.length,
      heldOut: heldOutScore,
      ...(measureScore ? { measure: measureScore } : {}),
      ...(gate ? { gate } : {}),
    };
    const bytes = encodePack(content(gateShift, metrics));
    return {
      bytes,
      report: {
        pack: source.pack,
        embedder,
        characters: source.characters.length,
        charactersWithoutReferences,
        images: all.length,
        skipped,
        references: vectors.length,
        heldOut: heldOutScore,
        ...(measureScore ? { measure: measureScore } : {}),
        ...(gate ? { gate } : {}),
        bytes: bytes.length,
        seconds: round((performance.now() - started) / 1000),
      },
    };
  }

  /** The largest face's vector, as /teach would store it; for a crop, one per view (centre crop). */
  private async embed(source: BuildSource, image: BuildImage, views: number[]): Promise<Float32Array[]> {
    const bytes = await source.prepare(image);
    const out: Float32Array[] = [];
    for (const view of image.kind === 'crop' ? views : [1]) {
      const input = view === 1 ? bytes : await centreCrop(bytes, view);
      const result = await this.recognition.recognise(input, { crops: image.kind === 'crop' });
      if (result.faces.length === 0) throw new Error('no face found');
      out.push(result.faces[0].embedding);
    }
    return out;
  }
}

/** The deepest folder holding every path. */
function commonFolder(paths: string[]): string {
  if (paths.length === 0) return '.';
  let parts = path.dirname(paths[0]).split(path.sep);
  for (const p of paths) {
    const other = path.dirname(p).split(path.sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}

async function centreCrop(bytes: Buffer, fraction: number): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const w = Math.max(1, Math.round(width * fraction));
  const h = Math.max(1, Math.round(height * fraction));
  return sharp(bytes)
    .extract({ left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h })
    .png()
    .toBuffer();
}

/**
 * How far to raise every threshold of `head` so that at most `acceptance` of the impostor faces (characters
 * it does not have) still pass its gate; 0 when they already do not.
 */
export function impostorShift(head: HeadModel, impostors: Float32Array[], acceptance: number): number {
  const margins = impostors
    .map((v) => gateMargin(head, v))
    .filter((g) => g.sure)
    .map((g) => g.margin)
    .sort((a, b) => b - a);
  const allowed = Math.floor(acceptance * impostors.length);
  if (margins.length <= allowed) return 0;
  // Just above the margin of the first impostor that must be refused.
  return Math.max(0, margins[allowed] + 1e-6);
}

/**
 * Per character, whole groups are held out (never in the pack) to measure it: 1 of 2–5 groups, 2 of 6 or
 * more, none of a single one. The choice is seeded, so a rebuild holds out the same pictures.
 */
export function holdOutGroups<T extends { image: BuildImage }>(items: T[], seed: number): { kept: T[]; heldOut: T[] } {
  const groups = new Map<string, Map<string, T[]>>();
  for (const item of items) {
    const byGroup = groups.get(item.image.characterId) ?? new Map<string, T[]>();
    byGroup.set(item.image.group, [...(byGroup.get(item.image.group) ?? []), item]);
    groups.set(item.image.characterId, byGroup);
  }
  const random = seededRandom(seed);
  const held = new Set<T>();
  for (const character of [...groups.keys()].sort()) {
    const byGroup = groups.get(character)!;
    const n = byGroup.size >= 6 ? 2 : byGroup.size >= 2 ? 1 : 0;
    const order = shuffled([...byGroup.keys()].sort(), random);
    for (const g of order.slice(0, n)) for (const item of byGroup.get(g)!) held.add(item);
  }
  return { kept: items.filter((i) => !held.has(i)), heldOut: items.filter((i) => held.has(i)) };
}

/**
 * Up to `max` of a character's faces that stand for all of them: k-means (seeded k-means++ start, cosine)
 * into `max` clusters, then each cluster's face nearest its centre. Real faces, not centres, so the head's
 * open-set gate is calibrated on faces like those it will see.
 */
export function representatives<T extends { vector: Float32Array }>(faces: T[], max: number, seed = 0): T[] {
  if (faces.length <= max) return faces;
  const dim = faces[0].vector.length;
  const random = seededRandom(seed);
  const cos = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += a[d] * b[d];
    return s;
  };
  const centres: Float32Array[] = [Float32Array.from(faces[Math.floor(random() * faces.length)].vector)];
  const nearest = faces.map((f) => 1 - cos(f.vector, centres[0]));
  while (centres.length < max) {
    const total = nearest.reduce((a, b) => a + Math.max(0, b), 0);
    let pick = random() * total;
    let i = 0;
    for (; i < faces.length - 1; i++) if ((pick -= Math.max(0, nearest[i])) <= 0) break;
    centres.push(Float32Array.from(faces[i].vector));
    for (let j = 0; j < faces.length; j++) nearest[j] = Math.min(nearest[j], 1 - cos(faces[j].vector, faces[i].vector));
  }
  const assignment = new Int32Array(faces.length);
  for (let iteration = 0; iteration < 10; iteration++) {
    faces.forEach((f, j) => {
      let best = 0;
      for (let c = 1; c < centres.length; c++) if (cos(f.vector, centres[c]) > cos(f.vector, centres[best])) best = c;
      assignment[j] = best;
    });
    centres.forEach((centre, c) => {
      const sum = new Float32Array(dim);
      let n = 0;
      faces.forEach((f, j) => {
        if (assignment[j] !== c) return;
        n++;
        for (let d = 0; d < dim; d++) sum[d] += f.vector[d];
      });
      if (n === 0) return;
      const norm = Math.hypot(...sum) || 1;
      for (let d = 0; d < dim; d++) centre[d] = sum[d] / norm;
    });
  }
  const chosen = new Set<number>();
  centres.forEach((centre, c) => {
    let best = -1;
    faces.forEach((f, j) => {
      if (
        assignment[j] === c &&
        !chosen.has(j) &&
        (best < 0 || cos(f.vector, centre) > cos(faces[best].vector, centre))
      )
        best = j;
    });
    if (best >= 0) chosen.add(best);
  });
  return [...chosen].sort((a, b) => a - b).map((j) => faces[j]);
}

/**
 * A pack source from a labelled folder (`<dir>/<character>/<image>`), so a community can share its own:
 * each folder is a character, each picture a face crop unless `art` (then the detector finds the face).
 */
export function folderSource(
  dir: string,
  pack: { id: string; title: string; franchise: string; art?: boolean },
): BuildSource {
  const files = labelledFiles(dir);
  if (files.length === 0) throw new UserInputError(`${dir} has no <character>/<picture> folders.`);
  const ids = new Map<string, string>();
  const characters: BuildCharacter[] = [];
  for (const label of [...new Set(files.map((f) => f.label))]) {
    let id = slugOf(label, ids.size);
    const used = new Set(ids.values());
    for (let n = 2; used.has(id); n++) id = `${slugOf(label, ids.size)}-${n}`;
    ids.set(label, id);
    const name = displayNameOf(label);
    // Each word of a name is what fans type ("miku" for Hatsune Miku); a word two characters share is
    // answered with both names to pick from.
    const words = name.split(' ').filter((w) => w.length >= 3 && w !== name);
    characters.push({ id, name, aliases: [...new Set([...(name === label ? [] : [label]), ...words])] });
  }
  return {
    pack: pack.id,
    title: pack.title,
    franchise: pack.franchise,
    sources: [{ repo: path.basename(path.resolve(dir)), commit: '', paths: [] }],
    characters,
    images: files.map((f) => ({
      characterId: ids.get(f.label)!,
      path: f.path,
      kind: pack.art ? 'art' : 'crop',
      group: f.path,
    })),
    prepare: (image) => readFile(image.path),
  };
}

/** "hatsune_miku" → "Hatsune Miku"; names with capitals or other scripts stay as they are. */
function displayNameOf(label: string): string {
  if (!/^[a-z0-9_ -]+$/.test(label)) return label.trim();
  return label
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

function slugOf(label: string, n: number): string {
  const slug = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug && /^[a-z0-9]/.test(slug) ? slug : `character-${n + 1}`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
