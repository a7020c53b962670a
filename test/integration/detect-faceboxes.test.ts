import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ort } from '../../src/core/onnx-runtime.ts';
import { DEFAULT_DETECTOR, createDetector } from '../../src/core/detect/chain.ts';
import { priorCount } from '../../src/core/detect/faceboxes-priors.ts';
import { FACEBOXES_MODEL_ID, FaceBoxesDetector, planPasses } from '../../src/core/detect/faceboxes.ts';
import sharp from 'sharp';
import { decodeRgb } from '../../src/core/detect/image.ts';
import { iou } from '../../src/core/detect/nms.ts';
import { resolveModelFile, sha256File } from '../../src/core/models/cache.ts';
import { getModel } from '../../src/core/models/manifest.ts';
import { DATA, ROOT, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless, torch } from '../helpers/prerequisites.ts';
import { PYTHON as python } from '../helpers/settings.ts';

const MIRROR = path.join(DATA, 'models');
const needsExport = skipUnless('FaceBoxes re-export', torch(), mirroredModel('animefaceboxes_pytorch'));
const made: string[] = [];
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}
const cache = scratch('idoltag-fb-cache-');
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const MODELS = { offline: true, mirrorDir: MIRROR, cacheDir: cache };

describe('FaceBoxes ONNX model', () => {
  it('is shipped in models/ and read in place, without python or a model cache', async () => {
    const file = await resolveModelFile(MODELS, FACEBOXES_MODEL_ID);
    assert.equal(path.relative(ROOT, file), path.join('models', 'animefaceboxes_onnx', 'faceboxes.onnx'));
    assert.equal(await sha256File(file), getModel(FACEBOXES_MODEL_ID).files[0].sha256);
    assert.deepEqual(readdirSync(cache), []);
    for (const notice of ['LICENSE', 'NOTICE']) assert.ok(existsSync(path.join(path.dirname(file), notice)), notice);
  });

  it('is our export of the AnimeFaceBoxes weights, byte for byte', { skip: needsExport }, async () => {
    const out = path.join(scratch('idoltag-fb-export-'), 'faceboxes.onnx');
    const weights = path.join(MIRROR, 'animefaceboxes_pytorch', 'FaceBoxes_epoch_90.pth');
    const run = spawnSync(python, ['-m', 'trainer.faceboxes.export', '--weights', weights, '--out', out], {
      cwd: ROOT,
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(await sha256File(out), getModel(FACEBOXES_MODEL_ID).files[0].sha256);
  });

  it('gives as many outputs as TypeScript makes priors, for odd sizes too', async () => {
    const session = await ort.InferenceSession.create(await resolveModelFile(MODELS, FACEBOXES_MODEL_ID), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
    });
    for (const [w, h] of [
      [300, 200],
      [333, 97],
    ]) {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * w * h), [1, 3, h, w]) });
      assert.deepEqual(out.loc.dims, [1, priorCount(w, h), 4]);
      assert.deepEqual(out.conf.dims, [1, priorCount(w, h), 2]);
    }
    await session.release();
  });
});

describe('FaceBoxes on real images', {
  skip: skipUnless(
    'FaceBoxes on real images',
    sharedData('multiface', 'images.csv'),
    sharedData('screenshots_syncopika', 'boxes.csv'),
  ),
}, () => {
  it('finds the boxed face of a screenshot', async () => {
    const image = await decodeRgb(path.join(DATA, 'screenshots_syncopika/images/aletta7.jpg'));
    const hand = { x: 64, y: 69, w: 222, h: 179 };
    const faces = await new FaceBoxesDetector(MODELS).detect(image);
    assert.equal(faces.length, 1);
    assert.ok(iou(faces[0], hand) >= 0.3, JSON.stringify(faces));
    assert.equal(faces[0].detector, 'faceboxes');
    assert.ok(faces[0].score > 0.9);
  });

  it('finds most of 13 faces in a group illustration, inside the image', async () => {
    const image = await decodeRgb(path.join(DATA, 'multiface/images/xavier_test_1.jpg'));
    const faces = await createDetector(DEFAULT_DETECTOR, MODELS).detect(image);
    assert.ok(faces.length >= 12 && faces.length <= 13, `${faces.length} faces`);
    for (const f of faces) {
      assert.ok(f.x >= 0 && f.y >= 0 && f.x + f.w <= image.width && f.y + f.h <= image.height);
      assert.ok(Number.isInteger(f.x) && Number.isInteger(f.w));
    }
  });

  it('drops faces under the minimum size', async () => {
    const image = await decodeRgb(path.join(DATA, 'multiface/images/jonathonyan_detect_04.jpg'));
    const all = await createDetector('faceboxes', MODELS).detect(image);
    assert.equal(all.length, 5);
    const cut = Math.max(...all.map((f) => f.w)) + 1;
    assert.equal((await createDetector('faceboxes', MODELS, { chain: { minFaceSize: cut } }).detect(image)).length, 0);
  });

  it('runs the fine pass only for images with small (or no) heads, and finds the small faces with it', async () => {
    class Counting extends FaceBoxesDetector {
      factors: number[] = [];
      override detectHeads(
        image: Parameters<FaceBoxesDetector['detectHeads']>[0],
        factor: number,
        threshold?: number,
        lanczos?: boolean,
      ) {
        this.factors.push(factor);
        return super.detectHeads(image, factor, threshold, lanczos);
      }
    }
    const finePass = (img: { width: number; height: number }, d: FaceBoxesDetector) =>
      planPasses(img.width, img.height, d.settings).find((p) => p.fine)!.factor;
    const closeUp = await decodeRgb(path.join(DATA, 'screenshots_syncopika/images/aletta7.jpg'));
    const group = await decodeRgb(path.join(DATA, 'multiface/images/jonathonyan_detect_04.jpg'));
    const lazy = new Counting(MODELS);
    assert.equal((await lazy.detect(closeUp)).length, 1);
    assert.ok(!lazy.factors.includes(finePass(closeUp, lazy)), `a close-up needs no fine pass: ${lazy.factors}`);
    lazy.factors = [];
    assert.equal((await lazy.detect(group)).length, 5, 'the small heads trigger it');
    assert.ok(lazy.factors.includes(finePass(group, lazy)));
    const never = new Counting(MODELS, { fineSide: null });
    assert.ok((await never.detect(group)).length < 5, 'without the fine pass the small faces are missed');
    const always = new Counting(MODELS, { enlargeBelowHead: null });
    await always.detect(closeUp);
    assert.ok(always.factors.includes(finePass(closeUp, always)), 'null always runs it');
  });

  it('finds the ~100 px faces of a group illustration shown in a 1280x720 frame', async () => {
    const art = sharp(path.join(DATA, 'multiface/images/xavier_test_1.jpg')).resize(640);
    const frame = await sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 30, g: 30, b: 60 } },
    })
      .composite([{ input: await art.toBuffer(), left: 320, top: 40 }])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(frame.data), width: 1280, height: 720 };
    const faces = await new FaceBoxesDetector(MODELS).detect(image);
    assert.ok(faces.length >= 10 && faces.length <= 13, `${faces.length} of 13 faces`);
    assert.ok(
      faces.every((f) => f.x >= 300 && f.x + f.w <= 980),
      'all inside the pasted illustration',
    );
    assert.ok(
      (await new FaceBoxesDetector(MODELS, { fineSide: null }).detect(image)).length <= 1,
      'the two coarse passes alone miss them',
    );
  });
});
