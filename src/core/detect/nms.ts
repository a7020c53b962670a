import type { Box, DetectedFace } from '../types.ts';

export function area(b: Box): number {
  return Math.max(0, b.w) * Math.max(0, b.h);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  return inter === 0 ? 0 : inter / (area(a) + area(b) - inter);
}

/**
 * Whether two boxes are taken for the same face: IoU above `threshold`, or at least `containment`
 * of the smaller box inside the other. Detectors frame a face differently (a tight LBP box inside a
 * FaceBoxes box can have a low IoU), so merging across detectors needs the second test.
 */
export function sameFace(a: Box, b: Box, threshold: number, containment = Infinity): boolean {
  const inter = intersection(a, b);
  if (inter === 0) return false;
  const areaA = area(a);
  const areaB = area(b);
  return inter / (areaA + areaB - inter) > threshold || inter / Math.min(areaA, areaB) >= containment;
}

/**
 * Greedy non-maximum suppression: keeps the best-scoring face of every group of faces that
 * `sameFace` joins. Returns the kept faces, best first.
 */
export function nms<T extends DetectedFace>(faces: readonly T[], threshold: number, containment = Infinity): T[] {
  const order = [...faces].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const face of order) {
    if (!kept.some((k) => sameFace(k, face, threshold, containment))) kept.push(face);
  }
  return kept;
}

/**
 * NMS that replaces each kept face by the score-weighted mean of the faces it suppresses
 * ("box voting"). Neighbouring anchors and pyramid passes each place the box slightly
 * differently; their mean is steadier than any one of them.
 */
export function votingNms<T extends DetectedFace>(faces: readonly T[], threshold: number): T[] {
  const order = [...faces].sort((a, b) => b.score - a.score);
  const taken = new Array<boolean>(order.length).fill(false);
  const out: T[] = [];
  for (let i = 0; i < order.length; i++) {
    if (taken[i]) continue;
    const best = order[i];
    let sw = 0;
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    for (let j = i; j < order.length; j++) {
      if (taken[j] || (j !== i && iou(best, order[j]) <= threshold)) continue;
      taken[j] = true;
      const f = order[j];
      sw += f.score;
      x0 += f.score * f.x;
      y0 += f.score * f.y;
      x1 += f.score * (f.x + f.w);
      y1 += f.score * (f.y + f.h);
    }
    out.push({ ...best, x: x0 / sw, y: y0 / sw, w: (x1 - x0) / sw, h: (y1 - y0) / sw });
  }
  return out;
}
