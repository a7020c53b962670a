import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heldOutMetrics, isNotWorse, type HeldOutMetrics } from '../../src/services/evaluation/embedder-held-out.ts';
import type { TrainingItem } from '../../src/services/training-set.ts';

/** One-hot-ish unit vectors in 4-D: axis `a`, or halfway between two axes. */
const axis = (a: number) => Float32Array.from({ length: 4 }, (_, i) => (i === a ? 1 : 0));
const between = (a: number, b: number) =>
  Float32Array.from({ length: 4 }, (_, i) => (i === a || i === b ? Math.SQRT1_2 : 0));

function item(label: string, split: TrainingItem['split'], n: number): TrainingItem {
  return { faceId: n, path: `/x/${label}-${n}.png`, label, group: `${label}-${n}`, split };
}

describe('held-out backbone metrics', () => {
  // Trained characters a (axis 0) and b (axis 1); held-out characters c and d.
  const items: TrainingItem[] = [];
  const good: Float32Array[] = [];
  for (let n = 0; n < 6; n++) items.push(item('a', 'train', n)), good.push(axis(0));
  for (let n = 0; n < 6; n++) items.push(item('b', 'train', 10 + n)), good.push(axis(1));
  for (let n = 0; n < 2; n++) items.push(item('a', 'test', 20 + n)), good.push(axis(0));
  for (let n = 0; n < 2; n++) items.push(item('b', 'test', 30 + n)), good.push(axis(1));
  for (let n = 0; n < 7; n++) items.push(item('c', 'val', 40 + n)), good.push(axis(2));
  for (let n = 0; n < 7; n++) items.push(item('d', 'val', 50 + n)), good.push(axis(3));

  it('measures unseen characters on their own embeddings when given, closed-set on the served ones', async () => {
    // The "served" model maps c and d onto one point; only the selection model separates them.
    const served = good.map((v, i) => (items[i].split === 'val' ? between(2, 3) : v));
    const m = await heldOutMetrics(items, served, good);
    assert.equal(m.closedTop1, 1);
    assert.equal(m.unseenRecallAt1, 1);
    assert.equal(m.unseenMapAtR, 1);
    assert.equal(m.unseenFiveShotTop1, 1);
    assert.equal(m.unseenFiveShotAmongKnownTop1, 1);
    assert.deepEqual([m.testFaces, m.unseenFaces], [4, 14]);
    const same = await heldOutMetrics(items, served);
    assert.ok(same.unseenMapAtR! < 0.7, `one point for two characters cannot rank them: ${same.unseenMapAtR}`);
    assert.ok(same.unseenFiveShotTop1! <= 0.5);
  });

  it('the among-known 5-shot counts confusions with trained characters that the new-only one cannot see', async () => {
    // c sits on a's axis: alone with d it is easy, among a and b it is confused with a.
    const e = good.map((v, i) => (items[i].label === 'c' ? axis(0) : v));
    const m = await heldOutMetrics(items, e);
    assert.equal(m.unseenFiveShotTop1, 1);
    // Queries: 2 of c, 2 of d. d is always right; c ties with a (6 faces against 5), and the
    // class-balanced head cannot tell identical points apart: at most half of c is right.
    assert.ok(m.unseenFiveShotAmongKnownTop1! <= 0.75, String(m.unseenFiveShotAmongKnownTop1));
    assert.ok(m.unseenFiveShotAmongKnownTop1! >= 0.5, String(m.unseenFiveShotAmongKnownTop1));
  });

  it('gates on drops beyond the tolerance only', () => {
    const base: HeldOutMetrics = {
      closedTop1: 0.9,
      unseenRecallAt1: 0.9,
      unseenMapAtR: 0.6,
      unseenFiveShotTop1: 0.8,
      unseenFiveShotAmongKnownTop1: 0.7,
      testFaces: 10,
      unseenFaces: 10,
    };
    assert.equal(isNotWorse({ ...base, closedTop1: 0.897 }, base).ok, true);
    const worse = isNotWorse({ ...base, unseenMapAtR: 0.55 }, base);
    assert.equal(worse.ok, false);
    assert.match(worse.reason, /unseenMapAtR 0\.600 → 0\.550/);
  });
});
