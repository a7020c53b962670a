import { cropBox, cropRgb, shrinkRgbToFit } from './crop.ts';
import { decodeImage, type DecodeOptions, type DecodedImage } from './decode.ts';
import type { Box, DetectedFace, Embedder, FaceDetector, RgbImage } from './types.ts';

export interface RecognisedFace {
  score: number;
  detector: string;
  /** In the original image's pixels. */
  box: Box;
  /** The square crop with margin that was embedded (kept for re-embedding), at most `maxCropSide`. */
  crop: RgbImage;
  embedding: Float32Array;
}

export interface RecognitionResult {
  image: DecodedImage;
  faces: RecognisedFace[];
  timings: { decodeMs: number; detectMs: number; embedMs: number };
}

export interface RecognitionOptions extends DecodeOptions {
  /** The input is already a face crop: skip detection and embed it whole. */
  crops?: boolean;
  /** When nothing is detected in a small, squarish image, treat it as a crop. */
  wholeImageFallback?: boolean;
  /** Extra context around a detected face, as a share of its size on each side. */
  cropMargin?: number;
  maxFaces?: number;
  /** MAX_CROP_SIDE by default. */
  maxCropSide?: number;
  /**
   * Called with the crops (in face order) once they are cut, before the network runs: work on them
   * here (encoding them for storage) overlaps the embedding instead of following it.
   */
  onCrops?: (crops: RgbImage[]) => void;
}

const WHOLE_FALLBACK_MAX_SIDE = 400;

/**
 * Crops are shrunk to this longest side before they are embedded and kept: the embedder looks at
 * 224 px, and a close-up in a 1080p screenshot (a 1,200 px crop) otherwise took about 25 ms more to
 * encode and about 2 MB more to keep, per face.
 */
export const MAX_CROP_SIDE = 512;

export function looksLikeFaceCrop(image: { width: number; height: number }): boolean {
  const aspect = image.width / image.height;
  return Math.max(image.width, image.height) <= WHOLE_FALLBACK_MAX_SIDE && aspect > 0.6 && aspect < 1.7;
}

export function wholeImageFace(image: { width: number; height: number }): DetectedFace {
  return { x: 0, y: 0, w: image.width, h: image.height, score: 1, detector: 'whole' };
}

/** Image bytes → faces with embeddings. Pure of storage and chat: callers decide what to keep. */
export async function recognise(
  bytes: Buffer,
  detector: FaceDetector,
  embedder: Embedder,
  options: RecognitionOptions = {},
): Promise<RecognitionResult> {
  const t0 = performance.now();
  const image = await decodeImage(bytes, options);
  const t1 = performance.now();
  let detections = options.crops ? [wholeImageFace(image)] : await detector.detect(image);
  if (detections.length === 0 && options.wholeImageFallback && looksLikeFaceCrop(image)) {
    detections = [wholeImageFace(image)];
  }
  detections = detections.sort((a, b) => b.w * b.h - a.w * a.h).slice(0, options.maxFaces ?? 50);
  const t2 = performance.now();
  const crops = await Promise.all(
    detections.map((face) =>
      shrinkRgbToFit(
        cropRgb(image, face.detector === 'whole' ? face : cropBox(face, image, options.cropMargin ?? 0.2)),
        options.maxCropSide ?? MAX_CROP_SIDE,
      ),
    ),
  );
  if (crops.length > 0) options.onCrops?.(crops);
  const embeddings = crops.length > 0 ? await embedder.embed(crops) : [];
  const t3 = performance.now();
  // Boxes are reported in the original image's pixels (after EXIF rotation), not the decoded copy's.
  const scale = image.originalWidth / image.width;
  return {
    image,
    faces: detections.map((face, i) => ({
      box: {
        x: Math.round(face.x * scale),
        y: Math.round(face.y * scale),
        w: Math.round(face.w * scale),
        h: Math.round(face.h * scale),
      },
      score: face.score,
      detector: face.detector,
      crop: crops[i],
      embedding: embeddings[i],
    })),
    timings: { decodeMs: t1 - t0, detectMs: t2 - t1, embedMs: t3 - t2 },
  };
}
