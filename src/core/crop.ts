import sharp from 'sharp';
import type { Box, RgbImage } from './types.ts';

/**
 * Grows a face box by `margin` of its size on every side (capped by the image), making it square
 * first: the embedder was measured on square face crops with some hair and chin around the face.
 */
export function cropBox(face: Box, image: { width: number; height: number }, margin: number): Box {
  const side = Math.max(face.w, face.h) * (1 + 2 * margin);
  const cx = face.x + face.w / 2;
  const cy = face.y + face.h / 2;
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(image.width, Math.round(cx + side / 2));
  const y1 = Math.min(image.height, Math.round(cy + side / 2));
  return { x: x0, y: y0, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
}

export function cropRgb(image: RgbImage, box: Box): RgbImage {
  const out = new Uint8Array(box.w * box.h * 3);
  for (let row = 0; row < box.h; row++) {
    const src = ((box.y + row) * image.width + box.x) * 3;
    out.set(image.data.subarray(src, src + box.w * 3), row * box.w * 3);
  }
  return { data: out, width: box.w, height: box.h };
}

/**
 * Shrinks an image whose longest side exceeds `maxSide` to fit it (libvips' Lanczos-3, which does not
 * alias when shrinking); smaller images come back as they are.
 */
export async function shrinkRgbToFit(image: RgbImage, maxSide: number): Promise<RgbImage> {
  const longest = Math.max(image.width, image.height);
  if (longest <= maxSide) return image;
  const width = Math.max(1, Math.round((image.width * maxSide) / longest));
  const height = Math.max(1, Math.round((image.height * maxSide) / longest));
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/** Resizes RGB pixels with sharp's linear kernel, as the trainer resizes (the embedder's input). */
export async function resizeRgbLinear(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}
