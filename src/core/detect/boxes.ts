import type { Box, DetectedFace } from '../types.ts';
import { area, intersection } from './nms.ts';

export interface FinishOptions {
  /** Drop faces whose clipped box is narrower or shorter than this, in image pixels. */
  minFaceSize?: number;
  /** Keep a face cut by the image edge only if at least this fraction of its box is inside. */
  minInside?: number;
}

export const DEFAULT_MIN_INSIDE = 0.5;

/** Clips a box to the image; null when it lies entirely outside. */
export function clipBox(box: Box, width: number, height: number): Box | null {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.w);
  const y1 = Math.min(height, box.y + box.h);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

/**
 * Clips faces to the image, drops those mostly outside it or smaller than the minimum size, and
 * rounds to whole pixels (crops are cut on the pixel grid anyway).
 */
export function finishFaces(
  faces: readonly DetectedFace[],
  width: number,
  height: number,
  options: FinishOptions = {},
): DetectedFace[] {
  const minInside = options.minInside ?? DEFAULT_MIN_INSIDE;
  const minSize = options.minFaceSize ?? 0;
  const out: DetectedFace[] = [];
  for (const face of faces) {
    const full = area(face);
    if (!(full > 0)) continue;
    const inside = intersection(face, { x: 0, y: 0, w: width, h: height });
    if (inside / full < minInside) continue;
    const x0 = Math.max(0, Math.round(face.x));
    const y0 = Math.max(0, Math.round(face.y));
    const x1 = Math.min(width, Math.round(face.x + face.w));
    const y1 = Math.min(height, Math.round(face.y + face.h));
    if (x1 - x0 < Math.max(1, minSize) || y1 - y0 < Math.max(1, minSize)) continue;
    out.push({ ...face, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  return out;
}

/** Maps a box found in a resized copy back to the original image's pixels. */
export function scaleBox<T extends Box>(box: T, sx: number, sy: number): T {
  return { ...box, x: box.x * sx, y: box.y * sy, w: box.w * sx, h: box.h * sy };
}
