import os from 'node:os';
import { ort } from '../onnx-runtime.ts';
import type { DetectedFace, FaceDetector, RgbImage } from '../types.ts';
import { finishFaces, scaleBox } from './boxes.ts';
import { resolveModelFile, type ModelSources } from '../models/cache.ts';
import { decodeBoxes, generatePriors, type RawBox } from './faceboxes-priors.ts';
import { resizeRgbLanczos } from './image.ts';
import { intersection, votingNms } from './nms.ts';

/** A type alias, not an interface, so that it fits the seam's Record<string, unknown>. */
export type FaceBoxesSettings = {
  /**
   * Network input sizes, as the longest side in pixels; 0 is the image's own size. The network
   * only finds heads of about 130–550 px in its input, so several sizes widen the range. The first
   * is the base pass, trusted with every head size; the others only with heads up to `maxHead`.
   * Only the base pass may enlarge an image (a thumbnail); the others shrink it or keep its size.
   */
  scales: number[];
  /** These passes are at most this longest side (bounds the cost of huge images). */
  maxSide: number;
  /**
   * The fine pass, for small heads, enlarges the image to this longest side (null: no fine pass);
   * images whose longest side is at least `upscaleBelow` to `largeFineSide`. It runs only when
   * needed (`enlargeBelowHead`).
   */
  fineSide: number | null;
  upscaleBelow: number;
  largeFineSide: number;
  /** No pass enlarges by more than this factor. */
  maxUpscale: number;
  /**
   * Fine passes run only when the other passes found no head, or a candidate (score at least
   * `enlargeTriggerScore`, which may be below `threshold`) smaller than this share of the image's
   * longest side: small heads are what the fine pass is for, and they come in groups. A close-up
   * (one big head) skips it, which is most of a screenshot's cost. null: always run it.
   */
  enlargeBelowHead: number | null;
  enlargeTriggerScore: number;
  /**
   * Outside the base pass, heads larger than this in the network input are dropped: past its
   * trained range the network fires on parts of large faces, mostly in enlarged close-ups.
   */
  maxHead: number;
  threshold: number;
  nms: number;
  /**
   * The network was trained on loose head boxes. They become square face boxes of side
   * `scale`·√(w·h), centred `shiftY`·h lower; null keeps the head boxes.
   */
  faceBox: { scale: number; shiftY: number } | null;
  threads: number;
};

/**
 * Two passes (640, own size) cover heads of about 130–1100 px in a 1280×720 screenshot for about
 * the cost of 1.25 passes. A fine pass finds smaller heads when the first two saw small ones or
 * none: group illustrations (enlarged to 2400 px) and group shots in 720p/1080p frames (to 3072 px,
 * where heads of about 100 px otherwise go unseen). It costs 200–400 ms, so close-ups skip it.
 *
 * The face box matches the lbpcascade_animeface box (median over 53 faces both found: side 0.87
 * of the head box, centre 0.16 of its height lower), so that faces from either detector are framed
 * alike and the pipeline's crop margin means the same thing for both. The hand boxes of
 * screenshots_syncopika are tighter (0.6×, centre 0.10·h lower).
 */
export const FACEBOXES_DEFAULTS: FaceBoxesSettings = {
  scales: [640, 0],
  maxSide: 1920,
  fineSide: 2400,
  upscaleBelow: 1024,
  largeFineSide: 3072,
  maxUpscale: 3,
  enlargeBelowHead: 0.3,
  enlargeTriggerScore: 0.1,
  maxHead: 512,
  threshold: 0.3,
  nms: 0.3,
  faceBox: { scale: 0.87, shiftY: 0.16 },
  // Two threads cut a 1280×720 image from about 55 to about 42 ms on a 2-core machine.
  threads: Math.min(2, os.availableParallelism()),
};

export const FACEBOXES_MEAN_BGR = [104, 117, 123] as const;

/**
 * RGB HWC bytes to the network's input: BGR CHW floats with the training mean subtracted. Writes
 * into `into` when given (it must hold 3·w·h floats).
 */
export function toFaceBoxesInput(image: RgbImage, into?: Float32Array): Float32Array {
  const n = image.width * image.height;
  const out = into ? into.subarray(0, 3 * n) : new Float32Array(3 * n);
  if (out.length !== 3 * n) throw new Error(`Input buffer holds ${out.length} floats, not ${3 * n}`);
  const src = image.data;
  const [mb, mg, mr] = FACEBOXES_MEAN_BGR;
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    out[i] = src[p + 2] - mb;
    out[n + i] = src[p + 1] - mg;
    out[2 * n + i] = src[p] - mr;
  }
  return out;
}

/**
 * `toFaceBoxesInput` of the image enlarged to width × height by bilinear interpolation (pixel centres
 * aligned, as OpenCV and PIL do), in one pass. libvips enlarges through its affine interpolator: about
 * 12 ms for 400×300 → 640×480 on 2 cores, then 1.5 ms to convert; this takes about 3.5 ms.
 */
export function toEnlargedFaceBoxesInput(
  image: RgbImage,
  width: number,
  height: number,
  into?: Float32Array,
): Float32Array {
  const { data: src, width: sw, height: sh } = image;
  if (width < sw || height < sh) throw new Error(`Cannot enlarge ${sw}×${sh} to ${width}×${height}`);
  const n = width * height;
  const out = into ? into.subarray(0, 3 * n) : new Float32Array(3 * n);
  if (out.length !== 3 * n) throw new Error(`Input buffer holds ${out.length} floats, not ${3 * n}`);
  const [mb, mg, mr] = FACEBOXES_MEAN_BGR;
  // Per output column: the byte offsets of its two source pixels and the right one's weight.
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const wx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(Math.max((x + 0.5) * (sw / width) - 0.5, 0), sw - 1);
    const x0 = Math.floor(sx);
    left[x] = 3 * x0;
    right[x] = 3 * Math.min(x0 + 1, sw - 1);
    wx[x] = sx - x0;
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (sh / height) - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const top = 3 * sw * y0;
    const bottom = 3 * sw * Math.min(y0 + 1, sh - 1);
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const a = left[x];
      const b = right[x];
      const fx = wx[x];
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p = row + x;
      out[p] =
        src[top + a + 2] * w00 + src[top + b + 2] * w01 + src[bottom + a + 2] * w10 + src[bottom + b + 2] * w11 - mb;
      out[n + p] =
        src[top + a + 1] * w00 + src[top + b + 1] * w01 + src[bottom + a + 1] * w10 + src[bottom + b + 1] * w11 - mg;
      out[2 * n + p] = src[top + a] * w00 + src[top + b] * w01 + src[bottom + a] * w10 + src[bottom + b] * w11 - mr;
    }
  }
  return out;
}

export interface Pass {
  factor: number;
  base: boolean;
  /** Runs only when the other passes saw small heads or none. */
  fine: boolean;
}

/** The distinct passes over an image (resize factor, base pass or not, fine or not), largest first. */
export function planPasses(
  width: number,
  height: number,
  s: Pick<FaceBoxesSettings, 'scales' | 'maxSide' | 'fineSide' | 'upscaleBelow' | 'largeFineSide' | 'maxUpscale'>,
): Pass[] {
  const longest = Math.max(width, height);
  const passes: Pass[] = [];
  for (const [i, target] of s.scales.entries()) {
    let factor = target > 0 ? target / longest : 1;
    if (factor > 1) {
      if (i > 0 || longest >= s.upscaleBelow) continue;
      factor = Math.min(factor, s.maxUpscale);
    } else {
      factor = Math.min(factor, s.maxSide / longest);
    }
    const same = passes.find((p) => Math.abs(Math.log(factor / p.factor)) < Math.log(1.1));
    if (same) same.base ||= i === 0;
    else passes.push({ factor, base: i === 0, fine: false });
  }
  if (s.fineSide !== null && passes.length > 0) {
    const side = longest < s.upscaleBelow ? s.fineSide : Math.max(s.fineSide, s.largeFineSide);
    const factor = Math.min(side / longest, s.maxUpscale);
    // It must look closer than the passes it adds to.
    if (factor >= 1.1 * Math.max(...passes.map((p) => p.factor))) passes.push({ factor, base: false, fine: true });
  }
  return passes.sort((a, b) => b.factor - a.factor);
}

export function headToFace<T extends RawBox>(head: T, conv: { scale: number; shiftY: number }): T {
  const cx = head.x + head.w / 2;
  const cy = head.y + head.h / 2 + conv.shiftY * head.h;
  const side = conv.scale * Math.sqrt(head.w * head.h);
  return { ...head, x: cx - side / 2, y: cy - side / 2, w: side, h: side };
}

function needsFinePass(heads: RawBox[], weak: RawBox[], image: RgbImage, belowHead: number | null): boolean {
  if (belowHead === null || heads.length === 0) return true;
  const limit = belowHead * Math.max(image.width, image.height);
  const side = (b: RawBox) => Math.sqrt(b.w * b.h);
  // The network also fires on parts of a big face (an eye, a cheek): those are no small heads.
  const partOfBigger = (b: RawBox) =>
    heads.some((h) => side(h) > 1.5 * side(b) && intersection(b, h) > 0.5 * b.w * b.h);
  return [...heads, ...weak].some((b) => side(b) < limit && !partOfBigger(b));
}

/** Shipped in models/animefaceboxes_onnx: our ONNX export of the AnimeFaceBoxes weights. */
export const FACEBOXES_MODEL_ID = 'animefaceboxes_onnx';

const sessions = new Map<number, Promise<ort.InferenceSession>>();

function session(models: ModelSources, threads: number): Promise<ort.InferenceSession> {
  let s = sessions.get(threads);
  if (!s) {
    s = resolveModelFile(models, FACEBOXES_MODEL_ID).then((file) =>
      ort.InferenceSession.create(file, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // Spinning worker threads burn the other core between the small convolutions.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      }),
    );
    s.catch(() => sessions.delete(threads));
    sessions.set(threads, s);
  }
  return s;
}

// Input buffers are reused: a fresh 11 MB array per 1280×720 pass costs as much as filling it.
// Only up to two of at most 1920×1080 are kept, not those of enlarged passes.
const spareInputs: Float32Array[] = [];
const SPARE_MAX_FLOATS = 3 * 1920 * 1080;

function takeInput(floats: number): Float32Array {
  const i = spareInputs.findIndex((b) => b.length >= floats);
  return i >= 0 ? spareInputs.splice(i, 1)[0] : new Float32Array(floats);
}

function giveInput(buffer: Float32Array): void {
  if (spareInputs.length < 2 && buffer.length <= SPARE_MAX_FLOATS) spareInputs.push(buffer);
}

const priorCache = new Map<string, Float32Array>();

function priorsFor(width: number, height: number): Float32Array {
  const key = `${width}x${height}`;
  let p = priorCache.get(key);
  if (!p) {
    p = generatePriors(width, height);
    if (priorCache.size >= 32) priorCache.delete(priorCache.keys().next().value!);
    priorCache.set(key, p);
  }
  return p;
}

export class FaceBoxesDetector implements FaceDetector {
  readonly id = 'faceboxes';
  readonly settings: FaceBoxesSettings;

  constructor(
    private readonly models: ModelSources,
    settings: Partial<FaceBoxesSettings> = {},
  ) {
    this.settings = { ...FACEBOXES_DEFAULTS, ...settings };
  }

  /**
   * Head boxes from one pass, in the pixels of `image`. Shrinking goes through libvips' Lanczos-3,
   * which widens its kernel so that small copies do not alias. Enlarging is bilinear unless `lanczos`:
   * the fine pass looks for small heads, and enlarged with Lanczos-3 it found one more of the group
   * frames' 43 (`bench/detect.ts`); the other passes found the same faces either way.
   */
  async detectHeads(
    image: RgbImage,
    factor: number,
    threshold = this.settings.threshold,
    lanczos = false,
  ): Promise<RawBox[]> {
    const w = Math.max(1, Math.round(image.width * factor));
    const h = Math.max(1, Math.round(image.height * factor));
    const bilinear = !lanczos && w >= image.width && h >= image.height && w * h > image.width * image.height;
    const shrunk = bilinear ? undefined : await resizeRgbLanczos(image, w, h);
    const sess = await session(this.models, this.settings.threads);
    const buffer = takeInput(3 * w * h);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      const input = shrunk ? toFaceBoxesInput(shrunk, buffer) : toEnlargedFaceBoxesInput(image, w, h, buffer);
      out = await sess.run({ input: new ort.Tensor('float32', input, [1, 3, h, w]) });
    } finally {
      giveInput(buffer);
    }
    const boxes = decodeBoxes(out.loc.data as Float32Array, out.conf.data as Float32Array, priorsFor(w, h), threshold);
    return boxes.map((b) => scaleBox(b, image.width / w, image.height / h));
  }

  /** Face boxes in image pixels, not yet clipped to the image. */
  async detectUnclipped(image: RgbImage): Promise<DetectedFace[]> {
    const s = this.settings;
    const heads: DetectedFace[] = [];
    const weak: RawBox[] = [];
    const passes = planPasses(image.width, image.height, s);
    const run = async ({ factor, base, fine }: Pass, threshold: number) => {
      for (const b of await this.detectHeads(image, factor, threshold, fine)) {
        if (!base && Math.max(b.w, b.h) * factor > s.maxHead) continue;
        if (b.score >= s.threshold) heads.push({ ...b, detector: this.id });
        else weak.push(b);
      }
    };
    const fine = passes.filter((p) => p.fine);
    const triggerScore =
      fine.length && s.enlargeBelowHead !== null ? Math.min(s.threshold, s.enlargeTriggerScore) : s.threshold;
    for (const p of passes.filter((p) => !p.fine)) await run(p, triggerScore);
    if (fine.length && needsFinePass(heads, weak, image, s.enlargeBelowHead)) {
      for (const p of fine) await run(p, s.threshold);
    }
    const kept = votingNms(heads, s.nms);
    return s.faceBox ? kept.map((b) => headToFace(b, s.faceBox!)) : kept;
  }

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    return finishFaces(await this.detectUnclipped(image), image.width, image.height);
  }
}

/** Loads the model now (exporting it if needed) instead of on the first image. */
export async function warmFaceBoxes(models: ModelSources, threads = FACEBOXES_DEFAULTS.threads): Promise<void> {
  await session(models, threads);
}
