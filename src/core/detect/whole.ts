import type { DetectedFace, FaceDetector, RgbImage } from '../types.ts';

/** For inputs that already are face crops: the whole image is the one face. */
export class WholeImageDetector implements FaceDetector {
  readonly id = 'whole';
  readonly settings: Record<string, unknown> = {};

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    if (image.width <= 0 || image.height <= 0) return [];
    return [{ x: 0, y: 0, w: image.width, h: image.height, score: 1, detector: this.id }];
  }
}
