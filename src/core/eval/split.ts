import { shuffled } from './random.ts';

/**
 * Splits that keep every source image on one side: all items sharing a `group` (the crops of one
 * picture) go to train together or to test together.
 */
export interface SplitItem {
  label: string;
  group: string;
}

export interface Split {
  train: number[];
  test: number[];
}

/**
 * Grouped, stratified split: for every label about `testFraction` of its items go to test, whole
 * groups at a time, and every label with at least two groups keeps at least one group on each side
 * (a label with one group stays in train). Deterministic for a given `random`.
 */
export function groupedStratifiedSplit(items: readonly SplitItem[], testFraction: number, random: () => number): Split {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = groups.get(item.group);
    if (list) list.push(i);
    else groups.set(item.group, [i]);
  });
  const total = new Map<string, number>();
  const groupsOfLabel = new Map<string, Set<string>>();
  for (const item of items) {
    total.set(item.label, (total.get(item.label) ?? 0) + 1);
    if (!groupsOfLabel.has(item.label)) groupsOfLabel.set(item.label, new Set());
    groupsOfLabel.get(item.label)!.add(item.group);
  }
  const target = new Map<string, number>();
  for (const [label, n] of total) {
    const multi = groupsOfLabel.get(label)!.size >= 2;
    target.set(label, multi ? Math.min(n - 1, Math.max(1, Math.round(testFraction * n))) : 0);
  }
  const inTest = new Map<string, number>();
  const side = new Map<string, 'train' | 'test'>();
  // Groups in a seeded order (sorted first so the order of `items` does not matter).
  for (const group of shuffled([...groups.keys()].sort(), random)) {
    const counts = labelCounts(items, groups.get(group)!);
    const fits =
      [...counts].every(([label, n]) => (inTest.get(label) ?? 0) + n <= target.get(label)!) ||
      [...counts].every(([label]) => (inTest.get(label) ?? 0) === 0 && target.get(label)! > 0);
    const needed = [...counts].some(([label]) => (inTest.get(label) ?? 0) < target.get(label)!);
    if (fits && needed) {
      side.set(group, 'test');
      for (const [label, n] of counts) inTest.set(label, (inTest.get(label) ?? 0) + n);
    } else side.set(group, 'train');
  }
  // Repair: a label with nothing left in train gets its smallest test group back.
  for (const label of total.keys()) {
    const mine = [...groupsOfLabel.get(label)!];
    if (!mine.some((g) => side.get(g) === 'train')) {
      const smallest = mine.sort((a, b) => groups.get(a)!.length - groups.get(b)!.length || a.localeCompare(b))[0];
      side.set(smallest, 'train');
    }
  }
  const split: Split = { train: [], test: [] };
  items.forEach((item, i) => split[side.get(item.group)!].push(i));
  return split;
}

function labelCounts(items: readonly SplitItem[], indexes: number[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of indexes) counts.set(items[i].label, (counts.get(items[i].label) ?? 0) + 1);
  return counts;
}

export interface FewShotSplit {
  /** K items per label to teach. */
  support: number[];
  /** Items to query: no group of theirs holds a support item. */
  query: number[];
  /** Labels with too few groups for K shots plus one query; left out entirely. */
  skipped: string[];
}

/**
 * K-shot split: for every label, groups in seeded order are taken for support until K of its items
 * are in; those groups' other items are dropped (never queried), every other item is a query. A
 * label needs its K shots and at least one query outside those groups, else it is skipped.
 */
export function fewShotSplit(items: readonly SplitItem[], shots: number, random: () => number): FewShotSplit {
  const labels = [...new Set(items.map((i) => i.label))].sort();
  const groupsOf = new Map<string, Set<string>>();
  const members = new Map<string, number[]>();
  items.forEach((item, i) => {
    if (!groupsOf.has(item.label)) groupsOf.set(item.label, new Set());
    groupsOf.get(item.label)!.add(item.group);
    const list = members.get(item.group);
    if (list) list.push(i);
    else members.set(item.group, [i]);
  });
  const supportGroups = new Set<string>();
  const support: number[] = [];
  const skipped: string[] = [];
  for (const label of labels) {
    const order = shuffled([...groupsOf.get(label)!].sort(), random);
    const chosen: number[] = [];
    const used = new Set<string>();
    for (const group of order) {
      if (chosen.length >= shots) break;
      used.add(group);
      for (const i of members.get(group)!) if (items[i].label === label && chosen.length < shots) chosen.push(i);
    }
    const queriesLeft = order.some((g) => !used.has(g));
    if (chosen.length < shots || !queriesLeft) {
      skipped.push(label);
      continue;
    }
    support.push(...chosen);
    for (const g of used) supportGroups.add(g);
  }
  const query: number[] = [];
  const skip = new Set(skipped);
  items.forEach((item, i) => {
    if (!skip.has(item.label) && !supportGroups.has(item.group)) query.push(i);
  });
  return { support: support.sort((a, b) => a - b), query, skipped };
}

/** `count` labels chosen with the seed (sorted), e.g. the characters held out as "never taught". */
export function chooseLabels(labels: readonly string[], count: number, random: () => number): string[] {
  return shuffled([...new Set(labels)].sort(), random)
    .slice(0, count)
    .sort();
}
