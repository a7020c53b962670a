/** Section accuracy: the nagadomi10 closed-set guard (train split taught, test split tagged, default gate). */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { round, sharedRows, teachNagadomi10 } from '../common.ts';
import { SHARED_DATA } from '../env.ts';
import { openServicesIn, scratch, type Suite } from './suite.ts';

/** Label accuracy ≥ 0.88 is the guard. */
export async function accuracySection(_suite: Suite) {
  const dir = scratch('acc');
  try {
    const services = await openServicesIn(dir);
    const rows = sharedRows(SHARED_DATA, 'nagadomi10');
    await teachNagadomi10(services, SHARED_DATA, 'acc');
    const refit = await services.heads.refit('acc');
    let correct = 0;
    let top1 = 0;
    const test = rows.filter((r) => r.orig_split === 'test');
    for (const r of test) {
      const result = await services.tagging.tagImage({
        guildId: 'acc',
        bytes: await readFile(path.join(SHARED_DATA, 'nagadomi10', r.path)),
        source: { kind: 'file', path: r.path },
        crops: true,
      });
      if (result.faces[0]?.label === r.label) correct++;
      if (result.faces[0]?.candidates[0]?.label === r.label) top1++;
    }
    await services.close();
    return {
      taught: refit.faces,
      fitMs: round(refit.fitMs, 0),
      queries: test.length,
      labelAccuracy: round(correct / test.length, 3),
      top1: round(top1 / test.length, 3),
      guard: 'label accuracy ≥ 0.88 with the default gate',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
