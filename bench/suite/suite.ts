/**
 * What the sections of the benchmark suite share: the screenshots, the scratch data folder of the
 * tag section and its services (later sections reuse them), and what the tag section measured.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openServices, type Services } from '../../src/services/index.ts';
import { benchServiceOptions, teachNagadomi10 } from '../common.ts';
import { SHARED_DATA } from '../env.ts';

export interface Suite {
  /** Fewer screenshots, sizes and repetitions. */
  quick: boolean;
  /** screenshots_syncopika's pictures, sorted. */
  screenshots: string[];
  tagDir: string;
  /** The tag section's services over tagDir, with a taught guild "bench"; closed at the end. */
  tagServices?: Services;
  /** The faces the tag section found, for the baseline to crop the same ones. */
  cropsForBaseline: Array<{ path: string; boxes: number[][] }>;
  /** The tag section's median screenshot → tags time. */
  tagMedian: number;
}

export function scratch(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `idoltag-bench-${prefix}-`));
}

export function openSuite(quick: boolean): Suite {
  const dir = path.join(SHARED_DATA, 'screenshots_syncopika', 'images');
  const screenshots = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  return { quick, screenshots, tagDir: scratch('tag'), cropsForBaseline: [], tagMedian: NaN };
}

export function openServicesIn(dataDir: string): Promise<Services> {
  return openServices(benchServiceOptions(dataDir));
}

/** A small taught guild: `perCharacter` nagadomi10 train crops of each of its 10 characters, and its head. */
export async function seedGuild(services: Services, guildId: string, perCharacter: number): Promise<void> {
  await teachNagadomi10(services, SHARED_DATA, guildId, perCharacter);
  await services.heads.refit(guildId);
}
