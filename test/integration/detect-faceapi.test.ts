import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createDetector } from '../../src/core/detect/chain.ts';
import { FaceApiDetector } from '../../src/core/detect/faceapi.ts';
import { decodeRgb } from '../../src/core/detect/image.ts';
import { iou } from '../../src/core/detect/nms.ts';
import { DATA } from '../helpers/paths.ts';
import { MODEL_SOURCES } from '../helpers/settings.ts';

describe('face-api (tfjs wasm)', () => {
  it('loads its bundled SSD weights and finds a screenshot face', async () => {
    const image = await decodeRgb(path.join(DATA, 'screenshots_syncopika/images/aletta7.jpg'));
    const faces = await new FaceApiDetector().detect(image);
    assert.equal(faces.length, 1);
    assert.equal(faces[0].detector, 'faceapi');
    assert.ok(iou(faces[0], { x: 64, y: 69, w: 222, h: 179 }) >= 0.3, JSON.stringify(faces));
  });

  it('finds most faces of a group illustration, inside the image', async () => {
    const image = await decodeRgb(path.join(DATA, 'multiface/images/xavier_test_1.jpg'));
    const faces = await createDetector('faceapi', MODEL_SOURCES).detect(image);
    assert.ok(faces.length >= 9 && faces.length <= 13, `${faces.length} faces`);
    for (const f of faces) assert.ok(f.x >= 0 && f.y >= 0 && f.x + f.w <= image.width && f.y + f.h <= image.height);
  });

  it('also runs the tiny detector', async () => {
    const image = await decodeRgb(path.join(DATA, 'multiface/images/xavier_test_2.jpg'));
    const faces = await new FaceApiDetector({ model: 'tiny' }).detect(image);
    assert.equal(faces.length, 2);
  });
});
