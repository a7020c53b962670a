/**
 * The measurement protocols of issue 12 on the shared face sets (nagadomi10, keima3, newgame8 under
 * ../shared/data): the benches and the shipped-embedder test measure the same thing with them.
 */
import path from 'node:path';
import type { EvaluationOptions } from './types.ts';

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

/** A shared face set's labels CSV. */
export function sharedLabels(sharedData: string, set: string): string {
  return path.join(sharedData, set, 'labels.csv');
}

/** runEvaluation's options for the newgame8 DLC protocol, with the shared data folder given. */
export function dlcNewgame8(sharedData: string): EvaluationOptions {
  return {
    sources: ['nagadomi10', 'keima3', 'newgame8'].map((set) => sharedLabels(sharedData, set)),
    aliases: new Map([['lijima_yun', 'iijima_yun']]),
    protocol: 'dlc',
    crops: true,
    newLabels: DLC_NEWGAME8_NEW,
  };
}
