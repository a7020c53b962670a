import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserialiseHead, predict, serialiseHead, trainHead } from '../../src/core/head/softmax-head.ts';
import { l2normalise } from '../../src/core/embed/onnx-embedder.ts';

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

  it('works with a single character and with none', async () => {
    const { embeddings, labels } = clusters(1, [6], 32, 0.3);
    const one = await trainHead(embeddings, labels);
    assert.equal(predict(one, embeddings[0]).label, 'idol0');
    const none = await trainHead([], []);
    assert.equal(predict(none, embeddings[0]).label, null);
  });

  it('round-trips through its stored JSON', async () => {
    const { embeddings, labels } = clusters(3, [10, 10, 10], 16, 0.5);
    const head = await trainHead(embeddings, labels);
    const back = deserialiseHead(serialiseHead(head));
    assert.deepEqual(predict(back, embeddings[4]), predict(head, embeddings[4]));
  });
});
