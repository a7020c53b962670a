/** Plain data shared by every core module. Nothing here knows about Discord or SQLite. */

/** 8-bit RGB pixels, row-major, 3 channels, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A face box in the pixel space of the decoded image (top-left origin). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DetectedFace extends Box {
  /** Detector confidence in [0, 1]. */
  score: number;
  /** Which detector found it (e.g. "faceboxes", "lbp", "whole"). */
  detector: string;
}

/**
 * The seam for face detectors. A detector receives a decoded RGB image and returns face boxes in
 * that image's pixel coordinates, clipped to the image. Implementations load their model lazily.
 */
export interface FaceDetector {
  readonly id: string;
  /** Settings that change what it finds; stored with every face it produces. */
  readonly settings: Record<string, unknown>;
  detect(image: RgbImage): Promise<DetectedFace[]>;
  dispose?(): Promise<void>;
}

/** Turns face crops into L2-normalised vectors. */
/** What an ONNX embedder expects and gives; stored with every model version. */
export interface EmbedderSpec {
  input: { name: string; size: number; mean: number[]; std: number[] };
  output: { name: string; dim: number };
  /**
   * Embed each crop and its mirror image and average them. Part of the spec, not a run-time
   * option: every embedding stored under one model version must be made the same way.
   */
  flipAverage?: boolean;
}

export interface Embedder {
  /** Model version id, e.g. "mobilenetv2-int8-pool@83530ad8"; recorded with every embedding. */
  readonly version: string;
  readonly dim: number;
  readonly provider: string;
  embed(crops: RgbImage[]): Promise<Float32Array[]>;
  dispose?(): Promise<void>;
}

export interface LabelCandidate {
  label: string;
  score: number;
}

export interface FacePrediction {
  /** null means "unknown": no taught character is likely enough. */
  label: string | null;
  confidence: number;
  candidates: LabelCandidate[];
}
