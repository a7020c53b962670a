import { readFileSync } from 'node:fs';
import { resolveModelFile, type ModelSources } from '../models/cache.ts';
import type { DetectedFace, FaceDetector, RgbImage } from '../types.ts';
import { finishFaces } from './boxes.ts';
import { loadOpenCv, type CvCascade, type OpenCv } from './opencv.ts';

export const LBP_MODEL_ID = 'lbpcascade_animeface';

export type LbpSettings = {
  scaleFactor: number;
  minNeighbors: number;
  /** Smallest window searched, in pixels of the (unpadded) image. */
  minSize: number;
  /**
   * Border added on every side, as a fraction of the image's size. The cascade needs some context
   * around a face, so a face filling a close-up is otherwise missed.
   */
  pad: number;
};

/** nagadomi's recommended settings. */
export const LBP_DEFAULTS: LbpSettings = { scaleFactor: 1.1, minNeighbors: 5, minSize: 24, pad: 0 };

let cascade: Promise<{ cv: OpenCv; classifier: CvCascade }> | undefined;

async function loadCascade(models: ModelSources): Promise<{ cv: OpenCv; classifier: CvCascade }> {
  const [{ cv }, file] = await Promise.all([loadOpenCv(), resolveModelFile(models, LBP_MODEL_ID)]);
  const name = 'lbpcascade_animeface.xml';
  try {
    cv.FS_unlink(`/${name}`);
  } catch {
    // not there yet
  }
  cv.FS_createDataFile('/', name, new Uint8Array(readFileSync(file)), true, false, false);
  const classifier = new cv.CascadeClassifier();
  if (!classifier.load(name) || classifier.empty()) throw new Error(`opencv.js could not load ${file}`);
  return { cv, classifier };
}

/** Maps the cascade's neighbour count to [0, 1): more overlapping hits, more confidence. */
export function lbpScore(neighbours: number): number {
  return neighbours / (neighbours + 10);
}

export class LbpDetector implements FaceDetector {
  readonly id = 'lbp';
  readonly settings: LbpSettings;

  constructor(
    private readonly models: ModelSources,
    settings: Partial<LbpSettings> = {},
  ) {
    this.settings = { ...LBP_DEFAULTS, ...settings };
  }

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    return finishFaces(await this.detectUnclipped(image), image.width, image.height);
  }

  /** Boxes in image pixels; with padding they may reach past the image. */
  async detectUnclipped(image: RgbImage): Promise<DetectedFace[]> {
    cascade ??= loadCascade(this.models).catch((err) => {
      cascade = undefined;
      throw err;
    });
    const { cv, classifier } = await cascade;
    const s = this.settings;
    const padX = Math.round(image.width * s.pad);
    const padY = Math.round(image.height * s.pad);
    const rgb = new cv.Mat(image.height, image.width, cv.CV_8UC3);
    const grey = new cv.Mat();
    const padded = new cv.Mat();
    const rects = new cv.RectVector();
    const counts = new cv.IntVector();
    try {
      rgb.data.set(image.data);
      cv.cvtColor(rgb, grey, cv.COLOR_RGB2GRAY);
      cv.equalizeHist(grey, grey);
      let input = grey;
      if (padX > 0 || padY > 0) {
        // Padded after equalising, so that the border does not shift the histogram.
        cv.copyMakeBorder(grey, padded, padY, padY, padX, padX, cv.BORDER_CONSTANT, new cv.Scalar(128, 128, 128, 0));
        input = padded;
      }
      const min = new cv.Size(s.minSize, s.minSize);
      const max = new cv.Size(0, 0);
      classifier.detectMultiScale2(input, rects, counts, s.scaleFactor, s.minNeighbors, 0, min, max);
      const faces: DetectedFace[] = [];
      for (let i = 0; i < rects.size(); i++) {
        const r = rects.get(i);
        faces.push({
          x: r.x - padX,
          y: r.y - padY,
          w: r.width,
          h: r.height,
          score: lbpScore(counts.get(i)),
          detector: this.id,
        });
      }
      return faces;
    } finally {
      rgb.delete();
      grey.delete();
      padded.delete();
      rects.delete();
      counts.delete();
    }
  }
}
