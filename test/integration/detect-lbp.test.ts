import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createDetector } from '../../src/core/detect/chain.ts';
import { decodeRgb } from '../../src/core/detect/image.ts';
import { LbpDetector } from '../../src/core/detect/lbp.ts';
import { iou } from '../../src/core/detect/nms.ts';
import { WholeImageDetector } from '../../src/core/detect/whole.ts';
import { DATA } from '../helpers/paths.ts';
import { MODEL_SOURCES } from '../helpers/settings.ts';

const MODELS = { ...MODEL_SOURCES, mirrorDir: MODEL_SOURCES.mirrorDir ?? path.join(DATA, 'models'), offline: true };

describe('lbpcascade_animeface', () => {
  it('finds the five faces of a wallpaper with nagadomi settings', async () => {
    const image = await decodeRgb(path.join(DATA, 'multiface/images/jonathonyan_detect_04.jpg'));
    const faces = await new LbpDetector(MODELS).detect(image);
    assert.equal(faces.length, 5);
    for (const f of faces) {
      assert.equal(f.detector, 'lbp');
      assert.ok(f.w >= 24 && f.score > 0 && f.score < 1);
      assert.ok(f.x >= 0 && f.y >= 0 && f.x + f.w <= image.width && f.y + f.h <= image.height);
    }
  });

  it('finds a close-up face once the image is padded', async () => {
    const image = await decodeRgb(path.join(DATA, 'screenshots_syncopika/images/aletta14.jpg'));
    const hand = { x: 202, y: 66, w: 332, h: 307 };
    const faces = await createDetector('lbp', MODELS).detect(image);
    assert.ok(
      faces.some((f) => iou(f, hand) >= 0.3),
      JSON.stringify(faces),
    );
  });
});

describe('whole-image detector', () => {
  it('returns a face crop as one face', async () => {
    const image = await decodeRgb(path.join(DATA, 'nagadomi10/faces/hatsune_miku/train_face_27_136_113.jpg'));
    const faces = await new WholeImageDetector().detect(image);
    assert.deepEqual(faces, [{ x: 0, y: 0, w: image.width, h: image.height, score: 1, detector: 'whole' }]);
    assert.deepEqual(await createDetector('whole', MODELS).detect(image), faces);
  });
});
