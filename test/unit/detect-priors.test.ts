import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FACEBOXES_LEVELS,
  anchorsPerCell,
  decodeBoxes,
  featureSize,
  generatePriors,
  priorCount,
} from '../../src/core/detect/faceboxes-priors.ts';
import { iou, nms, sameFace, votingNms } from '../../src/core/detect/nms.ts';
import type { DetectedFace } from '../../src/core/types.ts';

const face = (x: number, y: number, w: number, h: number, score: number, detector = 't'): DetectedFace => ({
  x,
  y,
  w,
  h,
  score,
  detector,
});

describe('FaceBoxes priors', () => {
  it('has 21 anchors per cell on the first level and one on the others', () => {
    assert.deepEqual(FACEBOXES_LEVELS.map(anchorsPerCell), [21, 1, 1]);
  });

  it('rounds feature maps up, as the padded strided layers do', () => {
    assert.equal(featureSize(1024, 32), 32);
    assert.equal(featureSize(720, 32), 23);
    assert.equal(featureSize(33, 32), 2);
    assert.equal(featureSize(720, 128), 6);
    assert.equal(featureSize(1, 128), 1);
  });

  it('counts priors for square and odd sizes', () => {
    assert.equal(priorCount(1024, 1024), 32 * 32 * 21 + 16 * 16 + 8 * 8);
    assert.equal(priorCount(1280, 720), 40 * 23 * 21 + 20 * 12 + 10 * 6);
    assert.equal(generatePriors(1280, 720).length, 4 * 19620);
    assert.equal(generatePriors(100, 50).length, 4 * (4 * 2 * 21 + 2 * 1 + 1 * 1));
  });

  it('orders anchors cell by cell, densified ones row-major inside the cell', () => {
    const p = generatePriors(64, 64);
    const at = (i: number) => Array.from(p.subarray(i * 4, i * 4 + 4));
    // cell (0,0): 16 anchors of 32 px at offsets 0, 8, 16, 24
    assert.deepEqual(at(0), [0, 0, 32, 32]);
    assert.deepEqual(at(1), [8, 0, 32, 32]);
    assert.deepEqual(at(4), [0, 8, 32, 32]);
    assert.deepEqual(at(15), [24, 24, 32, 32]);
    // then 4 of 64 px at offsets 0, 16, then one of 128 px at the cell centre
    assert.deepEqual(at(16), [0, 0, 64, 64]);
    assert.deepEqual(at(19), [16, 16, 64, 64]);
    assert.deepEqual(at(20), [16, 16, 128, 128]);
    // next cell to the right
    assert.deepEqual(at(21), [32, 0, 32, 32]);
    // level 2 starts after 2x2 cells: one 256 px anchor at the centre of its 64 px cell
    assert.deepEqual(at(4 * 21), [32, 32, 256, 256]);
    assert.deepEqual(at(4 * 21 + 1), [64, 64, 512, 512]);
  });
});

describe('FaceBoxes decoding', () => {
  const priors = new Float32Array([50, 60, 32, 32, 100, 100, 64, 64]);

  it('returns the prior itself for zero offsets', () => {
    const boxes = decodeBoxes(new Float32Array(8), new Float32Array([0.1, 0.9, 0.2, 0.8]), priors, 0.5);
    assert.equal(boxes.length, 2);
    assert.deepEqual(boxes[0], { x: 34, y: 44, w: 32, h: 32, score: Math.fround(0.9) });
  });

  it('shifts by 0.1 and scales by exp(0.2·t) of the prior', () => {
    const loc = new Float32Array([1, -1, 0, 0, 0, 0, 5, Math.log(2) / 0.2]);
    const [a, b] = decodeBoxes(loc, new Float32Array([0, 1, 0, 1]), priors, 0.5);
    assert.ok(Math.abs(a.x + a.w / 2 - (50 + 3.2)) < 1e-4);
    assert.ok(Math.abs(a.y + a.h / 2 - (60 - 3.2)) < 1e-4);
    assert.ok(Math.abs(b.w - 64 * Math.exp(1)) < 1e-3);
    assert.ok(Math.abs(b.h - 128) < 1e-3);
  });

  it('drops boxes under the threshold and refuses mismatched outputs', () => {
    assert.equal(decodeBoxes(new Float32Array(8), new Float32Array([0.7, 0.3, 0.6, 0.4]), priors, 0.5).length, 0);
    assert.throws(() => decodeBoxes(new Float32Array(4), new Float32Array(4), priors, 0.5), /priors/);
  });
});

describe('NMS', () => {
  it('computes IoU', () => {
    assert.equal(iou(face(0, 0, 10, 10, 1), face(0, 0, 10, 10, 1)), 1);
    assert.equal(iou(face(0, 0, 10, 10, 1), face(10, 0, 10, 10, 1)), 0);
    assert.ok(Math.abs(iou(face(0, 0, 10, 10, 1), face(5, 0, 10, 10, 1)) - 50 / 150) < 1e-9);
  });

  it('keeps the best of overlapping boxes and separate boxes, best first', () => {
    const kept = nms([face(1, 1, 10, 10, 0.5), face(0, 0, 10, 10, 0.9), face(50, 50, 10, 10, 0.7)], 0.3);
    assert.deepEqual(
      kept.map((f) => f.score),
      [0.9, 0.7],
    );
  });

  it('merges a small box inside a large one only with containment', () => {
    const big = face(0, 0, 100, 100, 0.9);
    const small = face(30, 30, 30, 30, 0.8);
    assert.equal(nms([big, small], 0.3).length, 2);
    assert.equal(nms([big, small], 0.3, 0.6).length, 1);
    assert.ok(sameFace(big, small, 0.3, 0.6));
    assert.ok(!sameFace(big, face(200, 200, 5, 5, 1), 0.3, 0.6));
  });

  it('averages the boxes of a cluster by score when voting', () => {
    const [v, other] = votingNms([face(0, 0, 10, 10, 0.75), face(2, 0, 10, 10, 0.25), face(40, 40, 5, 5, 0.5)], 0.3);
    assert.equal(v.score, 0.75);
    assert.ok(Math.abs(v.x - 0.5) < 1e-9);
    assert.ok(Math.abs(v.w - 10) < 1e-9);
    assert.deepEqual(other, face(40, 40, 5, 5, 0.5));
  });
});
