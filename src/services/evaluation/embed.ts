import { readFile } from 'node:fs/promises';
import { ImageInputError } from '../../core/decode.ts';
import { recognise, wholeImageFace } from '../../core/pipeline.ts';
import type { FaceDetector } from '../../core/types.ts';
import type { ServiceBlocks } from '../service-blocks.ts';

export interface EmbeddedFile {
  embedding?: Float32Array;
  /** Faces found (1 for a crop). The largest is used, as teaching does. */
  faces: number;
  error?: string;
}

const WHOLE_IMAGE: FaceDetector = { id: 'whole', settings: {}, detect: async (image) => [wholeImageFace(image)] };

/**
 * Embeds every file once per run and embedder version (an embedder trained mid-run gets its own
 * entries). Crops skip detection; otherwise the largest detected face is used, and a small
 * squarish picture with no detection is taken whole, exactly as teaching and `tag` do.
 */
export class EmbeddingCache {
  private cache = new Map<string, EmbeddedFile>();
  embedMs = 0;
  embedded = 0;

  constructor(
    private readonly services: Pick<ServiceBlocks, 'embedders' | 'recognition'>,
    private readonly crops: boolean,
  ) {}

  async get(file: string, modelVersion = this.services.embedders.activeVersion()): Promise<EmbeddedFile> {
    const key = `${modelVersion}\u0000${file}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const started = performance.now();
    let result: EmbeddedFile;
    try {
      const bytes = await readFile(file);
      const detector = this.crops ? WHOLE_IMAGE : await this.services.recognition.detector();
      const embedder = await this.services.embedders.embedder(modelVersion);
      const recognised = await recognise(bytes, detector, embedder, { crops: this.crops, wholeImageFallback: true });
      result =
        recognised.faces.length > 0
          ? { embedding: recognised.faces[0].embedding, faces: recognised.faces.length }
          : { faces: 0, error: 'no face found' };
    } catch (err) {
      if (err instanceof ImageInputError) result = { faces: 0, error: err.message };
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') result = { faces: 0, error: 'file not found' };
      else throw err;
    }
    this.embedMs += performance.now() - started;
    this.embedded++;
    this.cache.set(key, result);
    return result;
  }
}
