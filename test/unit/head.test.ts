import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  centroidSimilarity,
  deserialiseHead,
  predict,
  serialiseHead,
  trainHead,
  warmStartWeights,
} from '../../src/core/head/softmax-head.ts';
import { l2normalise } from '../../src/core/vector.ts';

/** Deterministic clustered unit vectors: each class around its own random centre. */
function clusters(classes: number, perClass: number[], dim: number, spread: number, seed = 1) {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296) * 2 - 1;
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: dim }, rand));
  const embeddings: Float32Array[] = [];
  const labels: string[] = [];
  centres.forEach((centre, c) => {
    for (let i = 0; i < perClass[c]; i++) {
      embeddings.push(l2normalise(Float32Array.from(centre, (v) => v + spread * rand())));
      labels.push(`idol${c}`);
    }
  });
  return { embeddings, labels, centres, rand };
}

describe('softmax head', () => {
  it('learns separable characters, also when one has far fewer examples', async () => {
    const { embeddings, labels, centres, rand } = clusters(4, [60, 60, 60, 5], 64, 0.6);
    const head = await trainHead(embeddings, labels);
    assert.deepEqual(head.labels, ['idol0', 'idol1', 'idol2', 'idol3']);
    let correct = 0;
    let wrong = 0;
    for (let t = 0; t < 40; t++) {
      const c = t % 4;
      const query = l2normalise(Float32Array.from(centres[c], (v) => v + 0.6 * rand()));
      const { label, candidates } = predict(head, query);
      if (label === `idol${c}`) correct++;
      else if (label !== null) wrong++;
      assert.equal(candidates[0].label, `idol${c}`, 'the top candidate is right even when the gate says unknown');
    }
    // The open-set gate is calibrated to accept about 95 % of known faces.
    assert.ok(correct >= 35, `only ${correct}/40 correct`);
    assert.equal(wrong, 0);
  });

  it('says unknown for a character nobody taught', async () => {
    const { embeddings, labels, rand } = clusters(3, [30, 30, 30], 64, 0.4, 7);
    const head = await trainHead(embeddings, labels);
    const stranger = Float32Array.from({ length: 64 }, rand);
    let unknown = 0;
    for (let t = 0; t < 20; t++) {
      const q = l2normalise(Float32Array.from(stranger, (v) => v + 0.4 * rand()));
      if (predict(head, q).label === null) unknown++;
    }
    assert.ok(unknown >= 18, `only ${unknown}/20 strangers were unknown`);
  });

  it('gives a loosely taught character its own, lower gate; heads stored without one use the overall gate', async () => {
    // Characters drawn alike (a shared component, as one game's art style), so the never-taught
    // simulation raises the overall gate; one character's five pictures spread far wider than the others'.
    const alike = (classes: number, perClass: number, spread: number, seed: number) => {
      const { embeddings, rand } = clusters(classes, Array(classes).fill(perClass), 64, 0, seed);
      const centres = embeddings
        .filter((_, i) => i % perClass === 0)
        .map((e) => Float32Array.from(e, (v) => 1 / 8 + 0.1 * v));
      return {
        embeddings: centres.flatMap((c) =>
          Array.from({ length: perClass }, () => l2normalise(Float32Array.from(c, (v) => v + (spread / 8) * rand()))),
        ),
        centres,
        rand,
      };
    };
    const tight = alike(10, 20, 0.3, 11);
    const loose = alike(1, 5, 0.8, 12);
    const labels = [...tight.embeddings.map((_, i) => `idol${Math.floor(i / 20)}`), ...Array(5).fill('loose')];
    const head = await trainHead([...tight.embeddings, ...loose.embeddings], labels);
    const own = head.classThresholds![head.labels.indexOf('loose')];
    assert.equal(head.classThresholds!.length, 11);
    assert.ok(
      head.classThresholds!.every((t) => t <= head.openSetThreshold),
      'never above the overall gate',
    );
    assert.ok(own < head.openSetThreshold, `the loose one ${own} against ${head.openSetThreshold}`);
    // A new picture of her between the two gates: named with her own gate, not with the overall one.
    const { classThresholds: _perCharacter, ...older } = head;
    const between = Array.from({ length: 400 }, () =>
      l2normalise(Float32Array.from(loose.centres[0], (v) => v + (0.8 / 8) * loose.rand())),
    ).find((q) => {
      const sim = centroidSimilarity(head, head.labels.indexOf('loose'), q);
      return predict(head, q).candidates[0].label === 'loose' && sim >= own && sim < head.openSetThreshold;
    });
    assert.ok(between, `a picture between the two gates (${own}, ${head.openSetThreshold})`);
    assert.equal(predict(head, between).label, 'loose');
    assert.equal(predict(older, between).label, null);
  });

  it('works with a single character and with none', async () => {
    const { embeddings, labels } = clusters(1, [6], 32, 0.3);
    const one = await trainHead(embeddings, labels);
    assert.equal(predict(one, embeddings[0]).label, 'idol0');
    const none = await trainHead([], []);
    assert.equal(predict(none, embeddings[0]).label, null);
  });

  it('round-trips through its stored form, and reads heads stored as JSON arrays before migration 0003', async () => {
    const { embeddings, labels } = clusters(3, [10, 10, 10], 16, 0.5);
    const head = await trainHead(embeddings, labels);
    const stored = serialiseHead(head);
    assert.equal(stored.arrays.length, 4 * (3 * 16 + 3 + 16 + 3 * 16));
    assert.ok(stored.json.length < 500, 'the JSON part holds no weights');
    // The driver may hand back a buffer at any byte offset.
    const unaligned = Buffer.concat([Buffer.alloc(1), stored.arrays]).subarray(1);
    const back = deserialiseHead(stored.json, unaligned);
    assert.deepEqual(back, head);
    assert.deepEqual(predict(back, embeddings[4]), predict(head, embeddings[4]));
    const legacy = JSON.stringify({
      ...head,
      weights: Array.from(head.weights),
      bias: Array.from(head.bias),
      mean: Array.from(head.mean),
      centroids: Array.from(head.centroids),
    });
    assert.deepEqual(predict(deserialiseHead(legacy, null), embeddings[4]), predict(head, embeddings[4]));
    assert.throws(() => deserialiseHead(stored.json, stored.arrays.subarray(4)), /expected/);
    const single = await trainHead(embeddings.slice(0, 10), labels.slice(0, 10));
    const s = serialiseHead(single);
    assert.deepEqual(deserialiseHead(s.json, s.arrays), single);
  });

  it('starts a refit from the earlier head: same logits after re-centring, new characters at zero, same answers', async () => {
    const { embeddings, labels, centres, rand } = clusters(5, [30, 30, 30, 30, 8], 32, 0.6, 7);
    const old = await trainHead(embeddings.slice(0, 120), labels.slice(0, 120));
    const all = await trainHead(embeddings, labels);
    const start = warmStartWeights(old, all.labels, all.mean)!;
    const x = embeddings[3];
    for (const [c, label] of all.labels.entries()) {
      const p = old.labels.indexOf(label);
      let z = start.bias[c];
      for (let d = 0; d < 32; d++) z += start.weights[c * 32 + d] * (x[d] - all.mean[d]);
      if (p < 0) {
        assert.equal(z, 0, 'a new character starts at zero');
        continue;
      }
      let want = old.bias[p];
      for (let d = 0; d < 32; d++) want += old.weights[p * 32 + d] * (x[d] - old.mean[d]);
      assert.ok(Math.abs(z - want) < 1e-4, `${label}: ${z} vs ${want}`);
    }
    assert.equal(warmStartWeights(old, all.labels, new Float32Array(16)), undefined, 'another dimension is no start');
    const warm = await trainHead(embeddings, labels, { warmStart: old });
    let same = 0;
    for (let t = 0; t < 50; t++) {
      const q = Float32Array.from(centres[t % 5], (v) => v + 0.6 * rand());
      if (predict(warm, q).candidates[0].label === predict(all, q).candidates[0].label) same++;
    }
    assert.ok(same >= 48, `warm and cold fits agree on ${same}/50`);
    assert.equal(predict(warm, embeddings[125]).candidates[0].label, 'idol4');
  });
});
