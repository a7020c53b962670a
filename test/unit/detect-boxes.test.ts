import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipBox, finishFaces } from '../../src/core/detect/boxes.ts';
import { CHAIN_DEFAULTS, ChainDetector, createDetector, mergeFaces } from '../../src/core/detect/chain.ts';
import {
  FACEBOXES_DEFAULTS,
  headToFace,
  planPasses,
  toEnlargedFaceBoxesInput,
  toFaceBoxesInput,
} from '../../src/core/detect/faceboxes.ts';
import type { DetectedFace, FaceDetector, RgbImage } from '../../src/core/types.ts';

const face = (x: number, y: number, w: number, h: number, score = 1, detector = 't'): DetectedFace => ({
  x,
  y,
  w,
  h,
  score,
  detector,
});

describe('finishing faces', () => {
  it('clips faces cut by the edge and keeps those mostly inside', () => {
    const [f] = finishFaces([face(-20, 10, 100, 50.4)], 200, 100);
    assert.deepEqual(f, face(0, 10, 80, 50));
  });

  it('drops faces mostly outside the image', () => {
    assert.equal(finishFaces([face(-70, 0, 100, 100)], 200, 200).length, 0);
    assert.equal(finishFaces([face(-70, 0, 100, 100)], 200, 200, { minInside: 0.25 }).length, 1);
    assert.equal(clipBox(face(300, 0, 10, 10), 200, 200), null);
  });

  it('drops faces under the minimum size', () => {
    const faces = [face(0, 0, 30, 30), face(50, 50, 10, 40)];
    assert.equal(finishFaces(faces, 200, 200, { minFaceSize: 20 }).length, 1);
    assert.equal(finishFaces(faces, 200, 200).length, 2);
  });
});

describe('FaceBoxes passes and boxes', () => {
  it('plans own size and 640 for a 1280x720 screenshot, largest first, and a fine pass to 3072 px', () => {
    assert.deepEqual(planPasses(1280, 720, FACEBOXES_DEFAULTS), [
      { factor: 2.4, base: false, fine: true },
      { factor: 1, base: false, fine: false },
      { factor: 0.5, base: true, fine: false },
    ]);
    assert.deepEqual(
      planPasses(1920, 1080, FACEBOXES_DEFAULTS).map((p) => [p.factor, p.fine]),
      [
        [1.6, true],
        [1, false],
        [1 / 3, false],
      ],
    );
  });

  it('gives small images a fine pass to 2400 px, at most maxUpscale; tiny ones a base pass that enlarges', () => {
    const passes = planPasses(800, 450, FACEBOXES_DEFAULTS);
    assert.deepEqual(
      passes.map((p) => [p.factor, p.fine]),
      [
        [3, true],
        [1, false],
        [0.8, false],
      ],
    );
    // 640/200 and 2400/200 both cap at 3×: one pass, the base one, which always runs.
    assert.deepEqual(planPasses(200, 100, FACEBOXES_DEFAULTS), [
      { factor: 3, base: true, fine: false },
      { factor: 1, base: false, fine: false },
    ]);
    assert.equal(planPasses(1100, 600, { ...FACEBOXES_DEFAULTS, fineSide: null }).length, 2);
  });

  it('merges passes closer than 10% and shrinks huge images to maxSide', () => {
    assert.deepEqual(planPasses(660, 400, FACEBOXES_DEFAULTS), [
      { factor: 3, base: false, fine: true },
      { factor: 640 / 660, base: true, fine: false },
    ]);
    assert.equal(planPasses(660, 400, { ...FACEBOXES_DEFAULTS, fineSide: null }).length, 1);
    assert.deepEqual(
      planPasses(4000, 3000, FACEBOXES_DEFAULTS).map((p) => p.factor),
      [3072 / 4000, 1920 / 4000, 640 / 4000],
    );
    // A fine pass that would not look closer than the own-size pass is dropped.
    assert.equal(planPasses(4000, 3000, { ...FACEBOXES_DEFAULTS, fineSide: 2000, largeFineSide: 2000 }).length, 2);
  });

  it('turns a head box into a square face box, lower down', () => {
    const f = headToFace({ x: 100, y: 100, w: 200, h: 200, score: 1 }, { scale: 0.5, shiftY: 0.1 });
    assert.deepEqual(f, { x: 150, y: 170, w: 100, h: 100, score: 1 });
  });

  it('feeds the network BGR planes minus the mean', () => {
    const img: RgbImage = { data: new Uint8Array([255, 0, 10, 104, 117, 123]), width: 2, height: 1 };
    assert.deepEqual(Array.from(toFaceBoxesInput(img)), [10 - 104, 123 - 104, 0 - 117, 0, 255 - 123, 104 - 123]);
  });

  it('enlarges bilinearly into the same planes, pixel centres aligned', () => {
    const img: RgbImage = { data: new Uint8Array([255, 0, 10, 104, 117, 123]), width: 2, height: 1 };
    assert.deepEqual(Array.from(toEnlargedFaceBoxesInput(img, 2, 1)), Array.from(toFaceBoxesInput(img)));
    // 2 → 4 columns: the outer ones repeat the edge pixels, the inner ones mix them 3:1 and 1:3.
    const red = Array.from(toEnlargedFaceBoxesInput(img, 4, 2)).slice(16, 20);
    assert.deepEqual(
      red,
      [255, 0.75 * 255 + 0.25 * 104, 0.25 * 255 + 0.75 * 104, 104].map((v) => v - 123),
    );
    const rows = Array.from(toEnlargedFaceBoxesInput(img, 4, 2));
    assert.deepEqual(rows.slice(0, 4), rows.slice(4, 8), 'one source row gives equal rows');
  });

  it('keeps a ramp a ramp when enlarging, and refuses to shrink', () => {
    const width = 5;
    const data = new Uint8Array(width * 3 * 2);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < width; x++) data.fill(40 * x, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const out = toEnlargedFaceBoxesInput({ data, width, height: 2 }, 15, 6);
    // Away from the edges the blue plane rises by 40/3 per column.
    const row = Array.from(out.subarray(2 * 15, 3 * 15)).map((v) => v + 104);
    for (let x = 2; x < 13; x++) assert.ok(Math.abs(row[x] - row[x - 1] - 40 / 3) < 1e-3, `column ${x}: ${row}`);
    assert.throws(() => toEnlargedFaceBoxesInput({ data, width, height: 2 }, 4, 2), /Cannot enlarge/);
  });
});

class Fixed implements FaceDetector {
  readonly settings = {};
  constructor(
    readonly id: string,
    private faces: DetectedFace[],
  ) {}
  async detect(): Promise<DetectedFace[]> {
    return this.faces;
  }
}

describe('detector chains', () => {
  const first = [face(10, 10, 100, 100, 0.6, 'a')];
  const second = [face(30, 30, 50, 50, 0.9, 'b'), face(300, 300, 40, 40, 0.5, 'b'), face(500, 0, 10, 10, 0.9, 'b')];

  it('lets earlier detectors win and later ones add what they missed', () => {
    const merged = mergeFaces([first, second], 600, 600, CHAIN_DEFAULTS);
    assert.deepEqual(
      merged.map((f) => f.detector + f.x),
      ['a10', 'b300'],
    );
  });

  it('merges on score alone without priority', () => {
    const merged = mergeFaces([first, second], 600, 600, { ...CHAIN_DEFAULTS, priority: false, minFaceSize: 0 });
    assert.deepEqual(
      merged.map((f) => f.detector + f.x),
      ['b30', 'b500', 'b300'],
    );
  });

  it('keeps overlapping faces that one detector found (a face in front of another)', () => {
    const pair = [face(0, 0, 100, 100, 0.9, 'a'), face(60, 60, 50, 50, 0.8, 'a')];
    assert.equal(mergeFaces([pair], 600, 600, CHAIN_DEFAULTS).length, 2);
    assert.equal(mergeFaces([pair.slice(0, 1), pair.slice(1)], 600, 600, CHAIN_DEFAULTS).length, 1);
  });

  it('applies the minimum face size and clipping to every member', async () => {
    const chain = new ChainDetector([new Fixed('a', first), new Fixed('b', second)], { minFaceSize: 60 });
    assert.equal(chain.id, 'a+b');
    const img: RgbImage = { data: new Uint8Array(3 * 320 * 320), width: 320, height: 320 };
    const faces = await chain.detect(img);
    assert.deepEqual(faces, [face(10, 10, 100, 100, 0.6, 'a')]);
  });

  it('builds detectors by name and refuses unknown names', () => {
    // Building a chain loads no model: where files would come from does not matter here.
    const models = { offline: true };
    assert.equal(createDetector('faceboxes+lbp', models).id, 'faceboxes+lbp');
    assert.equal(createDetector(' Whole ', models).id, 'whole');
    assert.throws(() => createDetector('faceboxes+yolo', models), /Unknown detector "yolo"/);
  });
});
