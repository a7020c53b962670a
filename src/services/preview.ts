import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { Box } from '../core/types.ts';
import { escapeXml } from '../core/xml.ts';

/**
 * The name tags' font, BIZ UDPGothic Bold (SIL Open Font License 1.1, from the npm package
 * @expo-google-fonts/biz-udpgothic): Latin, kana and the JIS X 0213 kanji. libvips is handed the file
 * itself, so 高垣楓 or 月村手毬 draw the same on a host without any Japanese font installed, where
 * DejaVu Sans drew empty boxes.
 */
export const TAG_FONT_FILE = createRequire(import.meta.url).resolve(
  '@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf',
);
export const TAG_FONT = 'BIZ UDPGothic Bold';

const PALETTE = ['#ff4f9a', '#4fc3ff', '#ffd24f', '#7dff4f', '#c44fff', '#ff8a4f', '#4fffd2', '#ff4f4f'];

export interface PreviewFace {
  box: Box;
  label: string | null;
  confidence: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where one face's box and name tag go on a preview of `width` × `height` pixels. */
export interface PreviewLabel {
  colour: string;
  text: string;
  box: Rect;
  /** The solid tag behind the name. */
  tag: Rect;
  fontSize: number;
  stroke: number;
}

/** The tags' font size on a preview of `width` × `height`: it grows with the geometric mean of the sides. */
export function previewFontSize(width: number, height: number): number {
  return Math.max(14, Math.round(Math.sqrt(width * height) / 24));
}

/** Blank space around a tag's text. */
function tagPadding(fontSize: number): number {
  return Math.round(fontSize * 0.3);
}

/** What the `i`-th face's tag says. */
export function tagText(face: PreviewFace, i: number): string {
  return `${i + 1}. ${face.label ?? 'unknown'}${face.label ? ` ${Math.round(face.confidence * 100)}%` : ''}`;
}

/** Wide characters: CJK ideographs, kana, hangul and the full-width forms, about 1 em each. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

/**
 * The text's width without drawing it: bold Latin averages about 0.62 em a character in the tag font
 * (as in DejaVu Sans Bold), and wide characters take 1 em. renderPreview measures the drawn text instead.
 */
export function estimateTextWidth(text: string, fontSize: number): number {
  let ems = 0;
  for (const ch of text) ems += WIDE.test(ch) ? 1 : 0.62;
  return Math.round(ems * fontSize);
}

/**
 * Lays out a box and a name tag per face. The tag is an opaque rectangle in the face's colour, so the
 * name stays readable on busy art; its font grows with the picture (the geometric mean of its
 * sides), so a phone-sized preview and a 1080p one read alike. `textWidths` are the drawn widths of
 * the tags' texts (renderTagText), each fitted exactly; without them the widths are estimated.
 */
export function layoutPreviewLabels(
  faces: PreviewFace[],
  scale: number,
  width: number,
  height: number,
  textWidths?: readonly number[],
): PreviewLabel[] {
  const fontSize = previewFontSize(width, height);
  const stroke = Math.max(2, Math.round(fontSize / 8));
  const padding = tagPadding(fontSize);
  const tagHeight = fontSize + 2 * padding;
  return faces.map((face, i) => {
    const box = { x: face.box.x * scale, y: face.box.y * scale, w: face.box.w * scale, h: face.box.h * scale };
    const text = tagText(face, i);
    const textWidth = textWidths?.[i] ?? estimateTextWidth(text, fontSize);
    const tagWidth = Math.min(width, textWidth + 2 * padding);
    const x = Math.max(0, Math.min(Math.round(box.x), width - tagWidth));
    // Above the box when there is room, else below it, else inside its top edge.
    const above = Math.round(box.y) - tagHeight;
    const below = Math.round(box.y + box.h);
    const y = above >= 0 ? above : below + tagHeight <= height ? below : Math.max(0, Math.round(box.y));
    return {
      colour: PALETTE[i % PALETTE.length],
      text,
      box,
      tag: { x, y, w: tagWidth, h: tagHeight },
      fontSize,
      stroke,
    };
  });
}

/** A tag's text drawn alone: straight-alpha RGBA, `width` × `height`. */
export interface TagText {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Draws `text` in the tag font, black on transparent, at `fontSize` pixels, or smaller where it would
 * be wider than `maxWidth`. The image is cropped to the ink left and right; top to bottom it spans
 * the font's whole em box, held open by an invisible bar drawn first (libvips crops text to its ink),
 * so every tag's baseline sits at the same height whatever its letters.
 */
export async function renderTagText(
  text: string,
  fontSize: number,
  maxWidth = Number.POSITIVE_INFINITY,
): Promise<TagText> {
  const markup = `<span alpha="1">│</span>${escapeXml(text.replace(/\s+/g, ' '))}`;
  const draw = async (size: number) => {
    const { data, info } = await sharp({
      text: { text: markup, font: `${TAG_FONT} ${size}px`, fontfile: TAG_FONT_FILE, rgba: true },
    })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let left = info.width;
    let right = -1;
    for (let y = 0; y < info.height; y++) {
      const row = y * info.width;
      for (let x = 0; x < left; x++) if (data[(row + x) * 4 + 3] > 0) left = x;
      for (let x = info.width - 1; x > right; x--) if (data[(row + x) * 4 + 3] > 0) right = x;
    }
    if (right < left) return { data: Buffer.alloc(0), width: 0, height: info.height };
    const width = right - left + 1;
    const cropped = Buffer.alloc(width * info.height * 4);
    for (let y = 0; y < info.height; y++) {
      data.copy(cropped, y * width * 4, (y * info.width + left) * 4, (y * info.width + right + 1) * 4);
    }
    return { data: cropped, width, height: info.height };
  };
  const drawn = await draw(fontSize);
  if (drawn.width <= maxWidth) return drawn;
  return draw(Math.max(1, Math.floor((fontSize * maxWidth) / drawn.width)));
}

function labelSvg(label: PreviewLabel): string {
  const { box, tag, stroke, colour } = label;
  return `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>
<rect x="${tag.x}" y="${tag.y}" width="${tag.w}" height="${tag.h}" fill="${colour}"/>`;
}

/**
 * The tags of a preview of `width` × `height`, each fitted to its text as drawn, and the drawn texts
 * (the same order): renderPreview paints these.
 */
export async function placePreviewLabels(
  faces: PreviewFace[],
  scale: number,
  width: number,
  height: number,
): Promise<{ labels: PreviewLabel[]; texts: TagText[] }> {
  const fontSize = previewFontSize(width, height);
  const room = width - 2 * tagPadding(fontSize);
  const texts = await Promise.all(faces.map((face, i) => renderTagText(tagText(face, i), fontSize, room)));
  const labels = layoutPreviewLabels(
    faces,
    scale,
    width,
    height,
    texts.map((t) => t.width),
  );
  return { labels, texts };
}

/** The screenshot, scaled to at most `maxWidth`, with a numbered box and a name tag on every face. */
export async function renderPreview(bytes: Buffer, faces: PreviewFace[], maxWidth = 960): Promise<Buffer> {
  const base = sharp(bytes, { pages: 1 }).rotate();
  const meta = await base.metadata();
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? meta.height : meta.width) ?? 1;
  const height = (rotated ? meta.width : (meta.pageHeight ?? meta.height)) ?? 1;
  const scale = Math.min(1, maxWidth / width);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  // The picture is decoded and scaled while the tags' texts are drawn; blended here, not with sharp's
  // composite: libvips composites the whole canvas in floating point, about 35 ms of a 1080p
  // screenshot's 55 ms preview on 2 cores.
  const scaled = base
    .resize(w, h, { fit: 'fill' })
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tags = placePreviewLabels(faces, scale, w, h).then(async ({ labels, texts }) => {
    const shapes = labels.map(labelSvg).join('\n');
    const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes}</svg>`);
    return { labels, texts, overlay: await sharp(svg).ensureAlpha().raw().toBuffer({ resolveWithObject: true }) };
  });
  const [picture, { labels, texts, overlay }] = await Promise.all([scaled, tags]);
  if (picture.info.channels !== 3 || overlay.info.channels !== 4 || overlay.data.length !== w * h * 4) {
    throw new Error(`Unexpected preview layers: ${picture.info.channels} and ${overlay.info.channels} channels`);
  }
  blendOver(picture.data, overlay.data);
  labels.forEach((label, i) => {
    const text = texts[i];
    const padding = Math.round((label.tag.h - label.fontSize) / 2);
    const top = label.tag.y + Math.round((label.tag.h - text.height) / 2);
    blendOverAt(picture.data, w, h, text, label.tag.x + padding, top);
  });
  return sharp(picture.data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Paints straight-alpha RGBA `overlay` over RGB `picture` of the same size, in place. */
export function blendOver(picture: Uint8Array, overlay: Uint8Array): void {
  for (let o = 3, p = 0; o < overlay.length; o += 4, p += 3) {
    const alpha = overlay[o];
    if (alpha === 0) continue;
    const f = alpha / 255;
    picture[p] += Math.round((overlay[o - 3] - picture[p]) * f);
    picture[p + 1] += Math.round((overlay[o - 2] - picture[p + 1]) * f);
    picture[p + 2] += Math.round((overlay[o - 1] - picture[p + 2]) * f);
  }
}

/** Paints straight-alpha RGBA `overlay` over RGB `picture` (`width` × `height`) with its top left at (`left`, `top`), clipped to the picture. */
export function blendOverAt(
  picture: Uint8Array,
  width: number,
  height: number,
  overlay: TagText,
  left: number,
  top: number,
): void {
  const x0 = Math.max(0, -left);
  const x1 = Math.min(overlay.width, width - left);
  for (let y = Math.max(0, -top); y < Math.min(overlay.height, height - top); y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * overlay.width + x) * 4;
      const alpha = overlay.data[o + 3];
      if (alpha === 0) continue;
      const f = alpha / 255;
      const p = ((top + y) * width + left + x) * 3;
      picture[p] += Math.round((overlay.data[o] - picture[p]) * f);
      picture[p + 1] += Math.round((overlay.data[o + 1] - picture[p + 1]) * f);
      picture[p + 2] += Math.round((overlay.data[o + 2] - picture[p + 2]) * f);
    }
  }
}
