/**
 * The preview's name tags, measured on a real screenshot: solid behind the text, and as tall
 * relative to the picture on a small preview as on a large one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { blendOver, placePreviewLabels, renderPreview, type PreviewLabel } from '../../src/services/preview.ts';
import { DATA } from '../helpers/paths.ts';
import { sharedData, skipUnless } from '../helpers/prerequisites.ts';

const SET = path.join(DATA, 'screenshots_syncopika');
const skip = skipUnless('preview labels', sharedData('screenshots_syncopika', 'boxes.csv'));

function hex(colour: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as [number, number, number];
}

async function rendered(bytes: Buffer, faces: Parameters<typeof renderPreview>[1], maxWidth: number) {
  const jpeg = await renderPreview(bytes, faces, maxWidth);
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const pixel = (x: number, y: number) => [0, 1, 2].map((c) => data[(y * info.width + x) * info.channels + c]);
  const { labels } = await placePreviewLabels(faces, Math.min(1, maxWidth / info.width), info.width, info.height);
  return { info, pixel, labels };
}

/** How far a pixel is from the tag's colour, channel by channel (JPEG blurs a little). */
function distance(rgb: number[], colour: string): number {
  const want = hex(colour);
  return Math.max(...rgb.map((v, c) => Math.abs(v - want[c])));
}

/**
 * Rows down from the tag's top, in its left padding, that still carry the tag's colour. The column
 * keeps clear of the face box's edge, which has the same colour and runs on below the tag.
 */
function measuredHeight(pixel: (x: number, y: number) => number[], label: PreviewLabel, imageHeight: number): number {
  const x = label.tag.x + Math.floor(((label.tag.h - label.fontSize) / 2) * 0.75);
  let y = label.tag.y + 1;
  while (y < imageHeight && distance(pixel(x, y), label.colour) <= 40) y++;
  return y - label.tag.y;
}

describe('preview name tags', { skip }, () => {
  const rows = skip
    ? []
    : readFileSync(path.join(SET, 'boxes.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
  const row = rows.find((r) => r[0] === 'images/aletta14.jpg') ?? rows[0];
  const faces = [
    { box: { x: +row[1], y: +row[2], w: +row[3], h: +row[4] }, label: 'Shimamura Uzuki', confidence: 0.87 },
  ];

  it('sit on a solid background in the face colour', async () => {
    const bytes = readFileSync(path.join(SET, row[0]));
    const { pixel, labels } = await rendered(bytes, faces, 960);
    const [label] = labels;
    const padding = Math.floor((label.tag.h - label.fontSize) / 2);
    // The padding band above the text and the column left of it: every pixel the tag's colour.
    const samples: number[][] = [];
    for (let x = label.tag.x + 1; x < label.tag.x + label.tag.w - 1; x++)
      for (let y = label.tag.y + 1; y < label.tag.y + padding - 1; y++) samples.push(pixel(x, y));
    for (let y = label.tag.y + 1; y < label.tag.y + label.tag.h - 1; y++)
      for (let x = label.tag.x + 1; x < label.tag.x + padding - 1; x++) samples.push(pixel(x, y));
    assert.ok(samples.length > 100, 'enough of the background is sampled');
    const worst = Math.max(...samples.map((rgb) => distance(rgb, label.colour)));
    assert.ok(worst <= 40, `background pixels stray ${worst} from ${label.colour}: not solid`);
  });

  it('grow with the picture', async () => {
    const original = readFileSync(path.join(SET, row[0]));
    const meta = await sharp(original).metadata();
    const doubled = await sharp(original)
      .resize(meta.width! * 2, meta.height! * 2)
      .jpeg()
      .toBuffer();
    const twiceFaces = faces.map((f) => ({
      ...f,
      box: { x: f.box.x * 2, y: f.box.y * 2, w: f.box.w * 2, h: f.box.h * 2 },
    }));
    const small = await rendered(original, faces, 4000);
    const large = await rendered(doubled, twiceFaces, 4000);
    const smallHeight = measuredHeight(small.pixel, small.labels[0], small.info.height);
    const largeHeight = measuredHeight(large.pixel, large.labels[0], large.info.height);
    assert.ok(
      Math.abs(smallHeight - small.labels[0].tag.h) <= 3,
      `the small tag measures ${smallHeight} px, laid out ${small.labels[0].tag.h}`,
    );
    const ratio = largeHeight / smallHeight;
    assert.ok(ratio > 1.8 && ratio < 2.2, `tag height ${smallHeight} → ${largeHeight} px for a picture twice as large`);
    assert.ok(smallHeight >= 0.06 * small.info.height, 'the tag is big enough to read');
  });
});

describe('preview blending', () => {
  it('paints the labels as libvips composite does', async () => {
    const [w, h] = [64, 48];
    const picture = Buffer.alloc(w * h * 3);
    const overlay = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) {
        picture[i * 3 + c] = (i * 37 + c * 91) % 256;
        overlay[i * 4 + c] = (i * 53 + c * 29) % 256;
      }
      overlay[i * 4 + 3] = [0, 255, 128, 7, 250][i % 5];
    }
    const expected = await sharp(picture, { raw: { width: w, height: h, channels: 3 } })
      .composite([{ input: overlay, raw: { width: w, height: h, channels: 4 } }])
      .removeAlpha()
      .raw()
      .toBuffer();
    const ours = Buffer.from(picture);
    blendOver(ours, overlay);
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - expected[i])));
    assert.ok(worst <= 1, `differs by up to ${worst} levels`);
    assert.ok(
      ours.some((v, i) => v !== picture[i]),
      'the overlay was painted',
    );
  });
});
