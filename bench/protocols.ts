/**
 * The measurement protocols of issue 12 on the shared face sets, used by the benches and by the
 * shipped-embedder test so that both measure the same thing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type EmbeddingCache, loadEvalItems } from '../src/services/evaluation/index.ts';
import type { Sample } from '../src/services/evaluation/protocols.ts';

/** newgame8's characters arrive later, as DLC (bench/results/eval-dlc-newgame8.json). */
export const DLC_NEWGAME8_NEW = [
  'ahagon_umiko',
  'hazuki_shizuku',
  'iijima_yun',
  'sakura_nene',
  'suzukaze_aoba',
  'toyama_rin',
  'yagami_kou',
];

/** runEvaluation's options for the newgame8 DLC protocol, with the shared data folder given. */
export function dlcNewgame8(sharedData: string) {
  return {
    sources: ['nagadomi10', 'keima3', 'newgame8'].map((set) => path.join(sharedData, set, 'labels.csv')),
    aliases: new Map([['lijima_yun', 'iijima_yun']]),
    protocol: 'dlc' as const,
    crops: true,
    newLabels: DLC_NEWGAME8_NEW,
  };
}

/** A shared face set's labels CSV. */
export function sharedLabels(sharedData: string, set: string): string {
  return path.join(sharedData, set, 'labels.csv');
}

/**
 * The command line of a bench over the held-out CG idols: the folder first, then `--name value`
 * options. Throws the usage line when the folder is missing.
 */
export function heldOutIdolsArgs(usage: string): {
  heldOutIdols: string;
  option: (name: string) => string | undefined;
} {
  const args = process.argv.slice(2);
  const heldOutIdols = args[0];
  if (!heldOutIdols || heldOutIdols.startsWith('--')) throw new Error(`usage: ${usage}`);
  return { heldOutIdols, option: (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined) };
}

/** Prints a bench report as JSON and, with `--out file`, writes it there too. */
export function printReport(report: unknown, out?: string): void {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (out) writeFileSync(out, json);
  console.log(json);
}

/** Every picture of the sources that yields an embedding, embedded through the cache (as the bot embeds it). */
export async function embedSources(cache: EmbeddingCache, sources: string[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const item of loadEvalItems(sources)) {
    const e = await cache.get(item.path);
    if (e.embedding) out.push({ item, vector: e.embedding });
  }
  return out;
}
