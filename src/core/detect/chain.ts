import type { ModelSources } from '../models/cache.ts';
import type { DetectedFace, FaceDetector, RgbImage } from '../types.ts';
import { DEFAULT_MIN_INSIDE, finishFaces } from './boxes.ts';
import { FaceApiDetector, type FaceApiSettings } from './faceapi.ts';
import { FaceBoxesDetector, type FaceBoxesSettings } from './faceboxes.ts';
import { LbpDetector, type LbpSettings } from './lbp.ts';
import { sameFace } from './nms.ts';
import { WholeImageDetector } from './whole.ts';

export interface ChainSettings {
  /** IoU above which two faces are the same face. */
  nms: number;
  /** Also the same face when this fraction of the smaller box lies inside the larger. */
  containment: number;
  /**
   * true: a detector earlier in the chain wins over a later one whatever the scores, so later
   * detectors only add faces the earlier ones missed. false: plain NMS on the scores.
   */
  priority: boolean;
  /** Faces smaller than this (either side, image pixels) are dropped. */
  minFaceSize: number;
  /** Faces cut by the image edge are clipped, and kept when this fraction is inside. */
  minInside: number;
}

export const CHAIN_DEFAULTS: ChainSettings = {
  nms: 0.3,
  containment: 0.6,
  priority: true,
  minFaceSize: 16,
  minInside: DEFAULT_MIN_INSIDE,
};

export interface UnclippedDetector extends FaceDetector {
  detectUnclipped(image: RgbImage): Promise<DetectedFace[]>;
}

/** Runs detectors one after another on the same image and merges what they find. */
export class ChainDetector implements FaceDetector {
  readonly id: string;
  readonly settings: Record<string, unknown>;
  readonly chain: ChainSettings;

  constructor(
    readonly detectors: FaceDetector[],
    chain: Partial<ChainSettings> = {},
  ) {
    if (detectors.length === 0) throw new Error('A detector chain needs at least one detector');
    this.chain = { ...CHAIN_DEFAULTS, ...chain };
    this.id = detectors.map((d) => d.id).join('+');
    this.settings = {
      ...this.chain,
      detectors: detectors.map((d) => ({ id: d.id, settings: d.settings })),
    };
  }

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const found: DetectedFace[][] = [];
    for (const d of this.detectors) {
      // Unclipped boxes when a detector has them: whether a face is mostly inside is decided here.
      const own = d as Partial<UnclippedDetector>;
      found.push(await (own.detectUnclipped ? own.detectUnclipped(image) : d.detect(image)));
    }
    return mergeFaces(found, image.width, image.height, this.chain);
  }

  async dispose(): Promise<void> {
    for (const d of this.detectors) await d.dispose?.();
  }
}

/**
 * Merges per-detector results (in chain order) into one list. Each detector has already
 * suppressed its own duplicates, so only faces from different detectors are compared. With
 * priority the list runs in chain order, otherwise best score first.
 */
export function mergeFaces(
  perDetector: DetectedFace[][],
  width: number,
  height: number,
  s: ChainSettings,
): DetectedFace[] {
  const tagged = perDetector.flatMap((faces, source) =>
    finishFaces(faces, width, height, { minFaceSize: s.minFaceSize, minInside: s.minInside })
      .sort((a, b) => b.score - a.score)
      .map((face) => ({ face, source })),
  );
  if (!s.priority) tagged.sort((a, b) => b.face.score - a.face.score);
  const kept: typeof tagged = [];
  for (const t of tagged) {
    if (!kept.some((k) => k.source !== t.source && sameFace(k.face, t.face, s.nms, s.containment))) kept.push(t);
  }
  return kept.map((k) => k.face);
}

export type DetectorName = 'faceboxes' | 'lbp' | 'faceapi' | 'whole';

export interface DetectorOptions {
  faceboxes?: Partial<FaceBoxesSettings>;
  lbp?: Partial<LbpSettings>;
  faceapi?: Partial<FaceApiSettings>;
  chain?: Partial<ChainSettings>;
}

/**
 * Settings a detector name gets unless the caller overrides them: the best measured in
 * bench/detect.ts (results in bench/results/detect-*.json).
 */
export const PRESETS: Record<string, DetectorOptions> = {
  // Alone, the cascade needs padding to find faces that fill a close-up.
  lbp: { lbp: { pad: 0.3, minNeighbors: 3 } },
  // Behind FaceBoxes it only adds the small faces FaceBoxes misses: nagadomi's settings, no padding.
  'faceboxes+lbp': { lbp: {} },
};

/** The detector used when nothing else is asked for (best measured; see bench/detect.ts). */
export const DEFAULT_DETECTOR = 'faceboxes';

export const DETECTOR_NAMES: readonly DetectorName[] = ['faceboxes', 'lbp', 'faceapi', 'whole'];

/**
 * Builds a detector from a name such as "faceboxes", "lbp" or a chain "faceboxes+lbp"; `models` says
 * where their model files come from.
 */
export function createDetector(name: string, models: ModelSources, options: DetectorOptions = {}): ChainDetector {
  const parts = name
    .split('+')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean);
  const preset = PRESETS[parts.join('+')] ?? {};
  const detectors = parts.map((part): FaceDetector => {
    switch (part) {
      case 'faceboxes':
        return new FaceBoxesDetector(models, { ...preset.faceboxes, ...options.faceboxes });
      case 'lbp':
        return new LbpDetector(models, { ...preset.lbp, ...options.lbp });
      case 'faceapi':
        return new FaceApiDetector({ ...preset.faceapi, ...options.faceapi });
      case 'whole':
        return new WholeImageDetector();
      default:
        throw new Error(`Unknown detector "${part}" (known: ${DETECTOR_NAMES.join(', ')}; chain them with "+")`);
    }
  });
  return new ChainDetector(detectors, { ...preset.chain, ...options.chain });
}
