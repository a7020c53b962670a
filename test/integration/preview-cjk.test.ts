/**
 * Japanese names on the preview's name tags (issue #38): on a host without a CJK font, DejaVu Sans drew
 * 高垣楓 as three missing-glyph boxes. A missing glyph is drawn as a hollow box with its code point
 * inside, so every missing glyph looks nearly alike: each character of a tag is drawn alone and
 * compared with the box drawn for U+E000, a private-use code point that no font here has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  estimateTextWidth,
  placePreviewLabels,
  renderPreview,
  renderTagText,
  type PreviewFace,
  type TagText,
} from '../../src/services/preview.ts';

const SIZE = 48;
const MISSING = '\uE000';

interface Mask {
  ink: Uint8Array;
  width: number;
  height: number;
}

function inkOf(text: TagText): Mask {
  const ink = new Uint8Array(text.width * text.height);
  for (let i = 0; i < ink.length; i++) ink[i] = text.data[i * 4 + 3] > 127 ? 1 : 0;
  return { ink, width: text.width, height: text.height };
}

const count = (mask: Mask) => mask.ink.reduce((a, b) => a + b, 0);

/** Intersection over union of two ink masks laid on each other at their top left corners. */
function overlap(a: Mask, b: Mask): number {
  let both = 0;
  let either = 0;
  for (let y = 0; y < Math.max(a.height, b.height); y++) {
    for (let x = 0; x < Math.max(a.width, b.width); x++) {
      const p = x < a.width && y < a.height ? a.ink[y * a.width + x] : 0;
      const q = x < b.width && y < b.height ? b.ink[y * b.width + x] : 0;
      both += p & q;
      either += p | q;
    }
  }
  return either === 0 ? 0 : both / either;
}

/** Checks that every character of `text` has a glyph of its own. */
async function assertDrawn(text: string): Promise<void> {
  const missing = inkOf(await renderTagText(MISSING, SIZE));
  const otherMissing = inkOf(await renderTagText('\uE001', SIZE));
  // The yardstick: two missing glyphs overlap almost wholly.
  assert.ok(overlap(missing, otherMissing) > 0.8, 'two missing-glyph boxes look alike');
  for (const ch of new Set(text.replace(/\s/g, ''))) {
    const glyph = inkOf(await renderTagText(ch, SIZE));
    assert.ok(count(glyph) > 0, `${ch} leaves ink`);
    const like = overlap(glyph, missing);
    assert.ok(
      like < 0.5,
      `${ch} (U+${ch.codePointAt(0)?.toString(16)}) overlaps the missing-glyph box ${like.toFixed(2)}`,
    );
  }
}

/** A plain grey 960 × 540 screenshot with a face per label, side by side, room above each for its tag. */
async function preview(labels: string[]) {
  const [width, height] = [960, 540];
  const bytes = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer();
  const faces: PreviewFace[] = labels.map((label, i) => ({
    box: { x: 20 + i * 470, y: 200, w: 200, h: 200 },
    label,
    confidence: 0.87,
  }));
  const jpeg = await renderPreview(bytes, faces);
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const { labels: placed, texts } = await placePreviewLabels(faces, 1, info.width, info.height);
  return { data, info, placed, texts };
}

describe('preview name tags in Japanese', () => {
  it('draws 高, 垣 and 楓 as glyphs of their own, not missing-glyph boxes', async () => {
    await assertDrawn('1. 高垣楓 87%');
    const [taka, gaki, kaede] = await Promise.all(
      ['高', '垣', '楓'].map(async (c) => inkOf(await renderTagText(c, SIZE))),
    );
    for (const [a, b, names] of [
      [taka, gaki, '高 and 垣'],
      [taka, kaede, '高 and 楓'],
      [gaki, kaede, '垣 and 楓'],
    ] as const) {
      assert.ok(overlap(a, b) < 0.6, `${names} are drawn alike (${overlap(a, b).toFixed(2)})`);
    }
  });

  it('draws other Japanese names and Latin names too', async () => {
    await assertDrawn('月村手毬 鷺沢文香 佐久間まゆ 橘ありす 白菊ほたる');
    await assertDrawn('2. Shimamura Uzuki 87%');
  });

  it('puts the drawn text on the preview, with the tag fitted to it', async () => {
    const { data, info, placed, texts } = await preview(['高垣楓', 'Shimamura Uzuki']);
    placed.forEach((label, i) => {
      const text = texts[i];
      const padding = Math.round((label.tag.h - label.fontSize) / 2);
      assert.equal(label.tag.w, text.width + 2 * padding, `tag ${label.text} is as wide as its text and padding`);
      // Where the preview is dark inside the tag, against where the drawn text has ink.
      const top = label.tag.y + Math.round((label.tag.h - text.height) / 2);
      const left = label.tag.x + padding;
      let both = 0;
      let either = 0;
      for (let y = label.tag.y; y < label.tag.y + label.tag.h; y++) {
        for (let x = label.tag.x; x < label.tag.x + label.tag.w; x++) {
          const o = (y * info.width + x) * info.channels;
          const dark = data[o] + data[o + 1] + data[o + 2] < 3 * 70 ? 1 : 0;
          const tx = x - left;
          const ty = y - top;
          const inked =
            tx >= 0 && ty >= 0 && tx < text.width && ty < text.height && text.data[(ty * text.width + tx) * 4 + 3] > 127
              ? 1
              : 0;
          both += dark & inked;
          either += dark | inked;
        }
      }
      assert.ok(both > 0.7 * either, `tag ${label.text}: its dark pixels match the drawn text ${both}/${either}`);
    });
  });

  it('estimates full-width characters at 1 em and Latin at about 0.62 em', async () => {
    for (const text of ['1. 高垣楓 87%', '2. Shimamura Uzuki 87%', '3. 佐久間まゆ 87%']) {
      const drawn = (await renderTagText(text, SIZE)).width;
      const estimate = estimateTextWidth(text, SIZE);
      assert.ok(Math.abs(estimate - drawn) < 0.15 * drawn, `${text}: estimated ${estimate} px, drawn ${drawn} px`);
    }
  });
});
