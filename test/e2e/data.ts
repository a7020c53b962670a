/**
 * Test pictures, read from ../shared/data at test time (never committed; see PROVENANCE.md there).
 * Face crops come from nagadomi10; screenshots from screenshots_syncopika, whose face boxes let us
 * cut teaching crops out of other screenshots of the same character.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DATA } from '../helpers/paths.ts';
import type { AttachmentInput } from './fake-discord/server.ts';

export const SHARED_DATA = DATA;
export const MODEL_MIRROR = process.env.IDOLTAG_MODEL_MIRROR ?? path.join(SHARED_DATA, 'models');

function readCsv(file: string): Array<Record<string, string>> {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const keys = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((value, i) => [keys[i], value])));
}

/** The face crops of one nagadomi10 character in a stable order: `split` as the source split them. */
export function crops(label: string, split: 'train' | 'test', count: number): AttachmentInput[] {
  const rows = readCsv(path.join(SHARED_DATA, 'nagadomi10', 'labels.csv'))
    .filter((r) => r.label === label && r.orig_split === split)
    .sort((a, b) => a.path.localeCompare(b.path))
    .slice(0, count);
  if (rows.length < count) throw new Error(`only ${rows.length} ${split} crops of ${label}`);
  return rows.map((r) => ({
    filename: `${label}-${path.basename(r.path)}`,
    bytes: readFileSync(path.join(SHARED_DATA, 'nagadomi10', r.path)),
    contentType: 'image/jpeg',
  }));
}

export function screenshot(name: string): AttachmentInput {
  return {
    filename: name,
    bytes: readFileSync(path.join(SHARED_DATA, 'screenshots_syncopika', 'images', name)),
    contentType: 'image/jpeg',
  };
}

/** The hand-boxed face of a screenshot, cut out and sized like a face crop. */
export async function screenshotFace(name: string): Promise<AttachmentInput> {
  const row = readCsv(path.join(SHARED_DATA, 'screenshots_syncopika', 'boxes.csv')).find(
    (r) => r.path === `images/${name}`,
  );
  if (!row) throw new Error(`no box for ${name}`);
  const [x, y, w, h] = [row.x, row.y, row.w, row.h].map(Number);
  const bytes = await sharp(path.join(SHARED_DATA, 'screenshots_syncopika', 'images', name))
    .extract({ left: x, top: y, width: w, height: h })
    .resize({ width: 160, height: 160, fit: 'fill' })
    .jpeg({ quality: 90 })
    .toBuffer();
  return { filename: `face-${name}`, bytes, contentType: 'image/jpeg' };
}
