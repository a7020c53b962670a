/** Section sort: the `sort` command's loop (tagFile + copy) on the screenshots folder, in process. */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tagFile } from '../../src/cli/tag.ts';
import { round } from '../common.ts';
import { openServicesIn, type Suite } from './suite.ts';

/** Images per second, and how many went to each folder. */
export async function sortSection(suite: Suite) {
  const services = suite.tagServices ?? (await openServicesIn(suite.tagDir));
  const out = path.join(suite.tagDir, 'sorted');
  const list = suite.quick ? suite.screenshots.slice(0, 15) : suite.screenshots;
  const t0 = performance.now();
  const counts = new Map<string, number>();
  for (const file of list) {
    const { line } = await tagFile(services, 'bench', file);
    const folders = line.error
      ? ['error']
      : line.faces.length === 0
        ? ['no-face']
        : [...new Set(line.faces.map((f) => f.label ?? 'unknown'))];
    for (const folder of folders) {
      await mkdir(path.join(out, folder), { recursive: true });
      await copyFile(file, path.join(out, folder, path.basename(file)));
      counts.set(folder, (counts.get(folder) ?? 0) + 1);
    }
  }
  const ms = performance.now() - t0;
  return {
    screenshots: list.length,
    wallMs: round(ms, 0),
    imagesPerSecond: round((list.length / ms) * 1000, 2),
    folders: Object.fromEntries(counts),
    note: "the sort command's loop (tagFile + copy), in process",
  };
}
