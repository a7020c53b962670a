/**
 * The evaluation metrics against values worked out by hand (the arithmetic is in the comments).
 *   node --import tsx --test test/unit/eval-metrics.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  auroc,
  confusionMatrix,
  meanAndStd,
  openSetMetrics,
  thresholdAtPrecision,
  thresholdAtRecall,
  topOneAccuracy,
  UNKNOWN_COLUMN,
} from '../../src/core/eval/metrics.ts';
import { seededRandom, seedFrom, shuffled } from '../../src/core/eval/random.ts';

const close = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);

describe('top-1 and confusion', () => {
  const truth = ['a', 'a', 'b', 'c'];
  const predicted = ['a', 'b', 'b', null];

  test('top-1 counts exact matches; unknown is never right', () => {
    // a✓ a✗ b✓ c✗ → 2/4
    assert.equal(topOneAccuracy(truth, predicted), 0.5);
  });

  test('confusion matrix, per-label recall and balanced accuracy', () => {
    const c = confusionMatrix(truth, predicted);
    assert.deepEqual(c.labels, ['a', 'b', 'c']);
    assert.deepEqual(c.columns, ['a', 'b', 'c', UNKNOWN_COLUMN]);
    assert.deepEqual(c.matrix, [
      [1, 1, 0, 0], // a: once a, once b
      [0, 1, 0, 0], // b: once b
      [0, 0, 0, 1], // c: once unknown
    ]);
    assert.deepEqual(c.recall, { a: 0.5, b: 1, c: 0 });
    close(c.balancedAccuracy, 0.5); // (0.5 + 1 + 0) / 3
  });

  test('a predicted label that is no truth gets its own column', () => {
    const c = confusionMatrix(['a'], ['z']);
    assert.deepEqual(c.columns, ['a', 'z']);
    assert.deepEqual(c.matrix, [[0, 1]]);
  });
});

describe('AUROC', () => {
  test('pairs won, ties counted half', () => {
    // positives 0.9, 0.8, 0.4 against negatives 0.7, 0.4, 0.1:
    // 0.9 beats 3, 0.8 beats 3, 0.4 beats 0.1 and ties 0.4 → 1.5; (3 + 3 + 1.5) / 9
    close(auroc([0.9, 0.8, 0.4], [0.7, 0.4, 0.1]), 7.5 / 9);
  });
  test('perfect, reversed and all tied', () => {
    assert.equal(auroc([3, 2], [1]), 1);
    assert.equal(auroc([1], [2, 3]), 0);
    assert.equal(auroc([5, 5], [5]), 0.5);
    assert.ok(Number.isNaN(auroc([], [1])));
  });
});

describe('operating points', () => {
  test('the most accepting threshold that keeps precision', () => {
    // sorted: .9 good, .8 good, .7 bad, .6 good, .5 bad → precisions 1, 1, 2/3, 3/4, 3/5.
    // 0.75 is still met after four items, so the cut is at 0.6 with 4/5 accepted.
    const p = thresholdAtPrecision([0.7, 0.9, 0.5, 0.8, 0.6], [false, true, false, true, true], 0.75);
    assert.deepEqual(p, { threshold: 0.6, precision: 0.75, coverage: 0.8, reached: true });
  });

  test('tied scores are cut together; an unreachable target accepts nothing', () => {
    // the two 0.9s are 1 of 2 good (0.5), then 2 of 3: never 0.75.
    const p = thresholdAtPrecision([0.9, 0.9, 0.5], [true, false, true], 0.75);
    assert.equal(p.reached, false);
    assert.equal(p.threshold, Infinity);
    assert.equal(p.coverage, 0);
  });

  test('threshold keeping a share of the positives', () => {
    // 95 % of 4 → all 4 → the lowest, 0.4; 50 % of 4 → 2 → 0.8.
    assert.equal(thresholdAtRecall([0.9, 0.4, 0.8, 0.6], 0.95), 0.4);
    assert.equal(thresholdAtRecall([0.9, 0.4, 0.8, 0.6], 0.5), 0.8);
  });

  test('open-set numbers', () => {
    const known = [
      { score: 0.9, correct: true },
      { score: 0.8, correct: true },
      { score: 0.6, correct: false },
      { score: 0.4, correct: true },
    ];
    const unknown = [0.7, 0.3];
    const m = openSetMetrics(known, unknown, 0.75, 0.95);
    // AUROC: 0.9 and 0.8 beat both unknowns (4), 0.6 and 0.4 beat 0.3 (2) → 6/8.
    close(m.auroc, 0.75);
    // All six by score: .9 G, .8 G, .7 U, .6 wrong, .4 G, .3 U → precision 1, 1, 2/3, 1/2, 3/5, 1/2:
    // only the first two reach 0.75, so the cut is 0.8: both unknowns rejected, 2 of 4 known named.
    assert.equal(m.atPrecision.threshold, 0.8);
    assert.equal(m.atPrecision.unknownRejected, 1);
    assert.equal(m.atPrecision.knownAccepted, 0.5);
    // 95 % of the known → all four → cut at 0.4: 0.3 rejected, 0.7 accepted.
    assert.equal(m.atRecall.threshold, 0.4);
    assert.equal(m.atRecall.unknownRejected, 0.5);
  });
});

describe('helpers', () => {
  test('mean and sample standard deviation', () => {
    // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / 3 → sqrt
    const { mean, std } = meanAndStd([1, 2, 3, 4]);
    close(mean, 2.5);
    close(std, Math.sqrt(5 / 3));
  });

  test('seeded randomness is reproducible and roughly uniform', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    close(xs.reduce((s, x) => s + x, 0) / xs.length, 0.5, 0.02);
    assert.notDeepEqual(shuffled([1, 2, 3, 4, 5, 6], seededRandom(1)), shuffled([1, 2, 3, 4, 5, 6], seededRandom(2)));
    assert.deepEqual(shuffled([1, 2, 3], seededRandom(7)).sort(), [1, 2, 3]);
    assert.equal(seedFrom('fewshot', 3), seedFrom('fewshot', 3));
    assert.notEqual(seedFrom('fewshot', 3), seedFrom('fewshot', 4));
  });
});
