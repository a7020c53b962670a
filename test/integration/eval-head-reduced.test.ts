/**
 * The reduced head fit used for large guilds (src/core/head/reduced-fit.ts): its basis is
 * orthonormal and it classifies about as well as the exact fit.
 *   node --import tsx --test test/integration/eval-head-reduced.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syntheticEmbeddings } from '../../bench/synthetic.ts';
import { seededRandom } from '../../src/core/eval/random.ts';
import { classBalancedSubsample, gemm, orthonormalColumns } from '../../src/core/head/reduced-fit.ts';
import { predict, reducedFitPlan, trainHead } from '../../src/core/head/softmax-head.ts';

describe('reduced head fit', () => {
  test('orthonormal columns spanning the input, dependent ones dropped', async () => {
    const D = 40;
    const k = 6;
    const random = seededRandom(1);
    const B = new Float32Array(D * k).map(() => random() - 0.5);
    for (let d = 0; d < D; d++) B[d * k + 5] = B[d * k] + 2 * B[d * k + 1]; // column 5 depends on 0 and 1
    const { Q, r } = await orthonormalColumns(B, D, k);
    assert.equal(r, 5);
    const G = await gemm(Q, [D, r], Q, [D, r], true);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++) assert.ok(Math.abs(G[i * r + j] - (i === j ? 1 : 0)) < 1e-4);
    // Every input column is reproduced by its projection Q Qᵀ b.
    const QtB = await gemm(Q, [D, r], B, [D, k], true);
    const back = await gemm(Q, [D, r], QtB, [r, k]);
    for (let i = 0; i < D * k; i++) assert.ok(Math.abs(back[i] - B[i]) < 1e-4);
  });

  test('class-balanced subsample: at most perClass of each, seeded', () => {
    const classOf = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const s = classBalancedSubsample(classOf, 2, 20);
    assert.deepEqual(Array.from(s.counts), [20, 10]);
    assert.deepEqual(classBalancedSubsample(classOf, 2, 20).rows, s.rows);
  });

  test('as accurate as the exact fit on held-out synthetic faces', async () => {
    const { embeddings, labels } = await syntheticEmbeddings({ n: 2400, classes: 40, dim: 256, seed: 4, between: 0.8 });
    const train = embeddings.slice(0, 1600);
    const trainLabels = labels.slice(0, 1600);
    const score = async (fit: 'exact' | ReturnType<typeof reducedFitPlan>) => {
      const head = await trainHead(train, trainLabels, { fit });
      return (
        embeddings.slice(1600).filter((v, i) => predict(head, v).candidates[0].label === labels[1600 + i]).length / 800
      );
    };
    const exact = await score('exact');
    const reduced = await score(reducedFitPlan(1600, 256, 40));
    assert.ok(exact > 0.6, `exact ${exact}`);
    assert.ok(reduced >= exact - 0.03, `reduced ${reduced} vs exact ${exact}`);
  });
});
