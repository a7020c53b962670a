import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { DataFiles } from './files.ts';

export interface TrainingItem {
  faceId: number;
  path: string;
  label: string;
  group: string;
  split: 'train' | 'val' | 'test';
}

/**
 * Every face a person named, across guilds (labels are `guild:name`), split three ways:
 * - val: whole characters held out of training, to judge how the embedder does on new ones;
 * - test: a grouped 20 % of the remaining characters' faces, for closed-set accuracy;
 * - train: the rest.
 * Groups are source images, so crops of one screenshot never sit on both sides.
 */
export function buildTrainingSet(
  store: Store,
  files: DataFiles,
  options: { valFraction?: number; testFraction?: number; seed?: string } = {},
): TrainingItem[] {
  const rows = store.labels.humanLabelledCrops();
  const seed = options.seed ?? 'idoltag';
  const rank = (s: string) => createHash('sha256').update(`${seed}:${s}`).digest('hex');
  const byLabel = new Map<string, typeof rows>();
  for (const r of rows) {
    const label = `${r.guild}:${r.name}`;
    byLabel.set(label, [...(byLabel.get(label) ?? []), r]);
  }
  const groupsOf = (list: typeof rows) => new Set(list.map((r) => r.sha)).size;
  const eligible = [...byLabel.keys()]
    .filter((l) => groupsOf(byLabel.get(l)!) >= 6)
    .sort((a, b) => rank(a).localeCompare(rank(b)));
  const valCount = eligible.length >= 5 ? Math.max(1, Math.round(eligible.length * (options.valFraction ?? 0.2))) : 0;
  const valLabels = new Set(eligible.slice(0, valCount));
  const items: TrainingItem[] = [];
  for (const [label, list] of byLabel) {
    const groups = [...new Set(list.map((r) => r.sha))].sort((a, b) => rank(a).localeCompare(rank(b)));
    const testGroups = new Set(
      groups.length >= 5 ? groups.slice(0, Math.round(groups.length * (options.testFraction ?? 0.2))) : [],
    );
    for (const r of list) {
      const split = valLabels.has(label) ? 'val' : testGroups.has(r.sha) ? 'test' : 'train';
      items.push({ faceId: r.faceId, path: files.absolute(r.crop), label, group: r.sha, split });
    }
  }
  return items;
}
