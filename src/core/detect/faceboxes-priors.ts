/**
 * FaceBoxes anchors ("priors") and box decoding, pure functions over flat arrays.
 *
 * Anchor layout follows the network's output order: level by level, cells row-major, then the
 * anchors of one cell. Level 1 (stride 32) densifies its small anchors so that they tile the image
 * as densely as the large ones (paper, sec. 3.3): 32 px 4×4 per cell, 64 px 2×2, 128 px once.
 */

export interface PriorLevel {
  stride: number;
  /** Anchor sizes in network-input pixels, each with its densification factor. */
  anchors: Array<{ size: number; density: number }>;
}

export const FACEBOXES_LEVELS: readonly PriorLevel[] = [
  {
    stride: 32,
    anchors: [
      { size: 32, density: 4 },
      { size: 64, density: 2 },
      { size: 128, density: 1 },
    ],
  },
  { stride: 64, anchors: [{ size: 256, density: 1 }] },
  { stride: 128, anchors: [{ size: 512, density: 1 }] },
];

export const FACEBOXES_VARIANCES = [0.1, 0.2] as const;

/** Feature-map side after the network's strided layers (each rounds up: padding keeps edges). */
export function featureSize(inputSize: number, stride: number): number {
  let s = inputSize;
  for (let f = 1; f < stride; f *= 2) s = Math.ceil(s / 2);
  return s;
}

export function anchorsPerCell(level: PriorLevel): number {
  return level.anchors.reduce((n, a) => n + a.density * a.density, 0);
}

export function priorCount(width: number, height: number, levels: readonly PriorLevel[] = FACEBOXES_LEVELS): number {
  return levels.reduce(
    (n, l) => n + featureSize(width, l.stride) * featureSize(height, l.stride) * anchorsPerCell(l),
    0,
  );
}

/**
 * Priors as [cx, cy, w, h] quadruples in pixels of the network input. A densified anchor's
 * centres sit at offsets 0, 1/n, …, (n-1)/n of a cell, as in the FaceBoxes training code these
 * weights come from; an undensified one at the cell centre. (Centring the densified offsets moves
 * the small anchors by an eighth of a cell and changed no count in bench/detect.ts.)
 */
export function generatePriors(
  width: number,
  height: number,
  levels: readonly PriorLevel[] = FACEBOXES_LEVELS,
): Float32Array {
  const out = new Float32Array(priorCount(width, height, levels) * 4);
  let o = 0;
  for (const level of levels) {
    const fw = featureSize(width, level.stride);
    const fh = featureSize(height, level.stride);
    for (let i = 0; i < fh; i++) {
      for (let j = 0; j < fw; j++) {
        for (const { size, density } of level.anchors) {
          for (let dy = 0; dy < density; dy++) {
            for (let dx = 0; dx < density; dx++) {
              const off = (d: number) => (density === 1 ? 0.5 : d / density);
              out[o++] = (j + off(dx)) * level.stride;
              out[o++] = (i + off(dy)) * level.stride;
              out[o++] = size;
              out[o++] = size;
            }
          }
        }
      }
    }
  }
  return out;
}

export interface RawBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

/**
 * Decodes SSD-style offsets: centre shifts scaled by variance[0]·prior size, log size ratios
 * by variance[1]. `scores` holds the face probability for each prior (or `numClasses` values
 * per prior, face = index 1). Returns boxes in network-input pixels scoring at least `threshold`.
 */
export function decodeBoxes(
  loc: Float32Array,
  scores: Float32Array,
  priors: Float32Array,
  threshold: number,
  numClasses = 2,
  variances: readonly [number, number] = FACEBOXES_VARIANCES,
): RawBox[] {
  const n = priors.length / 4;
  if (loc.length !== n * 4 || scores.length !== n * numClasses) {
    throw new Error(`FaceBoxes output has ${loc.length / 4} boxes for ${n} priors`);
  }
  const out: RawBox[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores[i * numClasses + (numClasses === 1 ? 0 : 1)];
    if (score < threshold) continue;
    const pcx = priors[i * 4];
    const pcy = priors[i * 4 + 1];
    const pw = priors[i * 4 + 2];
    const ph = priors[i * 4 + 3];
    const cx = pcx + loc[i * 4] * variances[0] * pw;
    const cy = pcy + loc[i * 4 + 1] * variances[0] * ph;
    const w = pw * Math.exp(loc[i * 4 + 2] * variances[1]);
    const h = ph * Math.exp(loc[i * 4 + 3] * variances[1]);
    out.push({ x: cx - w / 2, y: cy - h / 2, w, h, score });
  }
  return out;
}
