/** Section teach: teach 5 crops of a new character, then tag another crop of her: wall time. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { quantile, round, sharedRows } from '../common.ts';
import { SHARED_DATA } from '../env.ts';
import { openServicesIn, seedGuild, type Suite } from './suite.ts';

/** Three keima3 characters taught into the tag section's guild, each recognised on 10 other crops. */
export async function teachSection(suite: Suite) {
  const services = suite.tagServices ?? (await openServicesIn(suite.tagDir));
  if (!suite.tagServices) await seedGuild(services, 'bench', 20);
  const keima = sharedRows(SHARED_DATA, 'keima3');
  const runs: Array<Record<string, unknown>> = [];
  for (const character of ['nishikino_maki', 'sakurauchi_riko', 'takimoto_hifumi']) {
    const files = keima.filter((r) => r.label === character).map((r) => path.join(SHARED_DATA, 'keima3', r.path));
    const shots = files.slice(0, 5);
    // The wall time is teach + the first tag; recognition is judged on 10 other crops, not one.
    const queries = files.slice(10, 20);
    const t0 = performance.now();
    const taught = await services.teaching.teach({
      guildId: 'bench',
      character,
      by: 'bench',
      crops: true,
      previews: false,
      images: await Promise.all(shots.map(async (f) => ({ bytes: await readFile(f), name: path.basename(f) }))),
    });
    const t1 = performance.now();
    const tag = async (f: string) =>
      (
        await services.tagging.tagImage({
          guildId: 'bench',
          bytes: await readFile(f),
          source: { kind: 'file', path: f },
          crops: true,
        })
      ).faces[0]?.label ?? null;
    const first = await tag(queries[0]);
    const t2 = performance.now();
    const labels = [first, ...(await Promise.all(queries.slice(1).map(tag)))];
    runs.push({
      character,
      teachMs: round(t1 - t0, 0),
      tagMs: round(t2 - t1, 0),
      totalMs: round(t2 - t0, 0),
      recognised: labels.filter((l) => l === character).length,
      queries: labels.length,
      namedAs: Object.fromEntries([...new Set(labels)].map((l) => [String(l), labels.filter((x) => x === l).length])),
      head: taught.headVersion,
    });
  }
  const faces = services.characters.list('bench').reduce((n, c) => n + c.faces, 0);
  return {
    guildFaces: faces,
    runs,
    medianMs: round(
      quantile(
        runs.map((r) => r.totalMs as number),
        0.5,
      ),
      0,
    ),
    target: '≤ 2 s',
  };
}
