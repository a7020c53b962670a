/**
 * The measurement protocols of issue 12 on the shared face sets, used by the benches and by the
 * shipped-embedder test so that both measure the same thing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

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

/** Prints a bench report as JSON and, with `--out file`, writes it there too. */
export function printReport(report: unknown, out?: string): void {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (out) writeFileSync(out, json);
  console.log(json);
}
