import sharp from 'sharp';
import { recognise, wholeImageFace, type RecognitionOptions, type RecognitionResult } from '../core/pipeline.ts';
import type { FaceDetector, RgbImage } from '../core/types.ts';
import type { Store } from '../store/index.ts';
import type { NewImage } from '../store/images.ts';
import { type DataFiles, sha256 } from './files.ts';
import type { EmbedderRegistry } from './embedder-registry.ts';

/** Stand-in used when the caller says the input already is a face crop. */
const WHOLE_IMAGE: FaceDetector = { id: 'whole', settings: {}, detect: async (image) => [wholeImageFace(image)] };

export type ImageSource =
  | { kind: 'discord'; channelId: string; messageId: string; url: string; authorId: string; fileName?: string }
  | { kind: 'file'; path: string }
  | { kind: 'teach'; fileName: string; authorId?: string; channelId?: string; messageId?: string; url?: string }
  | { kind: 'import'; path: string };

/** A recognition result, with its crops already being encoded for storage when asked for. */
export interface Recognised extends RecognitionResult {
  /** By face index: PNG encodings started while the network ran (`encodeCrops`). */
  cropPngs?: Array<Promise<Buffer>>;
}

/** A crop as the lossless PNG that the data folder keeps (re-embedding reads it back). */
export function encodeCropPng(crop: RgbImage): Promise<Buffer> {
  return sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
    .png()
    .toBuffer();
}

export interface StoredFace {
  faceId: number;
  index: number;
}

/** Runs the core pipeline and records the image, its faces, crops and embeddings. */
export class RecognitionService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly files: DataFiles,
    private readonly embedders: EmbedderRegistry,
    private readonly loadDetector: () => Promise<FaceDetector>,
    private readonly defaults: RecognitionOptions = {},
  ) {
    this.#store = store;
  }

  private detectorPromise?: Promise<FaceDetector>;
  private detectorSettings: Record<string, unknown> = {};

  /** Loaded on first use: importing face crops never needs a detector. */
  detector(): Promise<FaceDetector> {
    this.detectorPromise ??= this.loadDetector().then((d) => {
      this.detectorSettings = { id: d.id, ...d.settings };
      return d;
    });
    this.detectorPromise.catch(() => (this.detectorPromise = undefined));
    return this.detectorPromise;
  }

  /**
   * `encodeCrops`: the caller will remember the faces, so their crops are encoded on libvips' threads
   * while the network runs (about 7 ms less per screenshot on 2 cores, `bench/run.ts`).
   */
  async recognise(bytes: Buffer, options: RecognitionOptions & { encodeCrops?: boolean } = {}): Promise<Recognised> {
    const { encodeCrops, ...rest } = options;
    const merged = { ...this.defaults, ...rest };
    const detector = merged.crops ? WHOLE_IMAGE : await this.detector();
    let cropPngs: Array<Promise<Buffer>> | undefined;
    if (encodeCrops) {
      merged.onCrops = (crops) => {
        cropPngs = crops.map(encodeCropPng);
        // Marked handled here: when the embedding fails first, nobody awaits them.
        for (const png of cropPngs) png.catch(() => undefined);
      };
    }
    const result = await recognise(bytes, detector, await this.embedders.activeEmbedder(), merged);
    return cropPngs ? { ...result, cropPngs } : result;
  }

  async dispose(): Promise<void> {
    if (this.detectorPromise) await (await this.detectorPromise.catch(() => undefined))?.dispose?.();
  }

  /**
   * Writes crop files first (temp + rename), then every row in one transaction: a crash leaves at
   * worst an unreferenced crop file, never a row pointing at nothing.
   */
  async remember(
    guildId: string,
    bytes: Buffer,
    result: Recognised,
    source: ImageSource,
    options: { keepOriginal: boolean; faceIndexes?: number[] },
    withinTransaction?: (faces: StoredFace[], imageId: number) => void,
  ): Promise<{ imageId: number; faces: StoredFace[] }> {
    const modelVersion = this.embedders.activeVersion();
    const hash = sha256(bytes);
    const indexes = options.faceIndexes ?? result.faces.map((_, i) => i);
    const cropPaths = await Promise.all(
      indexes.map(async (i) => {
        const png = await (result.cropPngs?.[i] ?? encodeCropPng(result.faces[i].crop));
        return this.files.writeAtomic(this.files.cropPath(guildId), png);
      }),
    );
    const storedPath = options.keepOriginal
      ? this.files.writeAtomic(this.files.imagePath(hash, result.image.format), bytes)
      : null;
    const row: NewImage = {
      guild_id: guildId,
      sha256: hash,
      source_kind: source.kind,
      source_path: 'path' in source ? source.path : 'fileName' in source ? (source.fileName ?? null) : null,
      channel_id: 'channelId' in source ? (source.channelId ?? null) : null,
      message_id: 'messageId' in source ? (source.messageId ?? null) : null,
      url: 'url' in source ? (source.url ?? null) : null,
      author_id: 'authorId' in source ? (source.authorId ?? null) : null,
      stored_path: storedPath,
      width: result.image.originalWidth,
      height: result.image.originalHeight,
    };
    return this.#store.transaction(() => {
      const imageId = this.#store.images.insertImage(row);
      const faces = indexes.map((i, k) => {
        const face = result.faces[i];
        const faceId = this.#store.images.insertFace({
          guild_id: guildId,
          image_id: imageId,
          ...face.box,
          detector: face.detector,
          detector_settings: JSON.stringify(face.detector === 'whole' ? {} : this.detectorSettings),
          score: face.score,
          crop_path: cropPaths[k],
        });
        this.#store.embeddings.put(faceId, modelVersion, face.embedding);
        return { faceId, index: i };
      });
      withinTransaction?.(faces, imageId);
      return { imageId, faces };
    });
  }
}
