/**
 * Grouped splits: no source image on both sides, stratified per character, few-shot supports.
 *   node --import tsx --test test/unit/eval-split.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../src/core/eval/random.ts';
import { chooseLabels, fewShotSplit, groupedStratifiedSplit, type SplitItem } from '../../src/core/eval/split.ts';

// a: 6 items in 5 groups (g1 holds two), b: 5 items in 5 groups, one group (shared) holds an a and a b,
// solo: 3 crops of one picture.
const items: SplitItem[] = [
  { label: 'a', group: 'g1' },
  { label: 'a', group: 'g1' },
  { label: 'a', group: 'g2' },
  { label: 'a', group: 'g3' },
  { label: 'a', group: 'g4' },
  { label: 'a', group: 'shared' },
  { label: 'b', group: 'g5' },
  { label: 'b', group: 'g6' },
  { label: 'b', group: 'g7' },
  { label: 'b', group: 'g8' },
  { label: 'b', group: 'shared' },
  { label: 'solo', group: 'one' },
  { label: 'solo', group: 'one' },
  { label: 'solo', group: 'one' },
];

describe('grouped stratified split', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`seed ${seed}: groups stay whole, every label trains, split labels are tested`, () => {
      const { train, test: tested } = groupedStratifiedSplit(items, 0.4, seededRandom(seed));
      assert.equal(train.length + tested.length, items.length);
      assert.deepEqual(
        [...train, ...tested].sort((x, y) => x - y),
        items.map((_, i) => i),
      );
      const trainGroups = new Set(train.map((i) => items[i].group));
      for (const i of tested) assert.ok(!trainGroups.has(items[i].group), `group ${items[i].group} on both sides`);
      for (const label of ['a', 'b', 'solo'])
        assert.ok(
          train.some((i) => items[i].label === label),
          `${label} not in train`,
        );
      // round(0.4 × 6) = 2 and round(0.4 × 5) = 2 test items wanted; groups of two can overshoot by one.
      for (const label of ['a', 'b']) {
        const n = tested.filter((i) => items[i].label === label).length;
        assert.ok(n >= 1 && n <= 3, `${label}: ${n} in test`);
      }
      // One picture only: it cannot be on both sides, so it trains.
      assert.ok(!tested.some((i) => items[i].label === 'solo'));
    });
  }

  test('the same seed gives the same split, whatever the item order', () => {
    const one = groupedStratifiedSplit(items, 0.4, seededRandom(9));
    const again = groupedStratifiedSplit(items, 0.4, seededRandom(9));
    assert.deepEqual(one, again);
    const reversed = items.slice().reverse();
    const r = groupedStratifiedSplit(reversed, 0.4, seededRandom(9));
    const groupsOf = (idx: number[], list: SplitItem[]) => new Set(idx.map((i) => list[i].group));
    assert.deepEqual(groupsOf(r.test, reversed), groupsOf(one.test, items));
  });
});

describe('few-shot split', () => {
  test('K items per label, no query shares a picture with a shot', () => {
    for (const seed of [1, 2, 3]) {
      const { support, query, skipped } = fewShotSplit(items, 2, seededRandom(seed));
      assert.deepEqual(skipped, ['solo']); // one picture: no query left after the shots
      for (const label of ['a', 'b']) assert.equal(support.filter((i) => items[i].label === label).length, 2);
      const supportGroups = new Set(support.map((i) => items[i].group));
      for (const i of query) assert.ok(!supportGroups.has(items[i].group));
      assert.ok(query.some((i) => items[i].label === 'a') && query.some((i) => items[i].label === 'b'));
      assert.ok(!query.some((i) => items[i].label === 'solo'));
    }
  });

  test('a label with fewer than K items is skipped', () => {
    const { skipped, support } = fewShotSplit(items, 6, seededRandom(1));
    assert.deepEqual(skipped, ['a', 'b', 'solo']);
    assert.equal(support.length, 0);
  });

  test('chooseLabels picks distinct labels reproducibly', () => {
    const chosen = chooseLabels(['x', 'y', 'z', 'x', 'w'], 2, seededRandom(3));
    assert.equal(new Set(chosen).size, 2);
    assert.deepEqual(chosen, chooseLabels(['w', 'x', 'y', 'z'], 2, seededRandom(3)));
  });
});
