import type { Box, LabelCandidate } from '../core/types.ts';
import type { Store } from '../store/index.ts';
import type { HeadService } from './heads.ts';
import type { ImageSource, RecognitionService } from './recognition.ts';
import type { JobQueue } from './queue.ts';

export interface TaggedFace {
  faceId: number;
  box: Box;
  label: string | null;
  confidence: number;
  candidates: LabelCandidate[];
}

export interface TagResult {
  imageId: number;
  width: number;
  height: number;
  faces: TaggedFace[];
  timings: { decodeMs: number; detectMs: number; embedMs: number; headMs: number };
}

export interface TagRequest {
  guildId: string;
  bytes: Buffer;
  fileName?: string;
  source: ImageSource;
  crops?: boolean;
  keepOriginal?: boolean;
}

/** Names the faces in one image and remembers the image, faces and predictions. */
export class TaggingService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly recognition: RecognitionService,
    private readonly heads: HeadService,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  /** Through the queue: recognition runs one picture at a time. */
  tagImage(req: TagRequest): Promise<TagResult> {
    return this.queue.run(() => this.recogniseAndRemember(req));
  }

  private async recogniseAndRemember(req: TagRequest): Promise<TagResult> {
    const result = await this.recognition.recognise(req.bytes, {
      crops: req.crops,
      wholeImageFallback: true,
      encodeCrops: true,
    });
    const t0 = performance.now();
    const predictions = await this.heads.predictMany(
      req.guildId,
      result.faces.map((f) => f.embedding),
    );
    const headMs = performance.now() - t0;
    const displayNames = this.#store.characters.displayNames(
      req.guildId,
      predictions.flatMap((p) => [...(p.label ? [p.label] : []), ...p.candidates.map((c) => c.label)]),
    );
    const stored = await this.recognition.remember(
      req.guildId,
      req.bytes,
      result,
      req.source,
      { keepOriginal: req.keepOriginal ?? req.source.kind === 'discord' },
      (faces) => {
        for (const { faceId, index } of faces) {
          const p = predictions[index];
          const character = p.label ? this.#store.characters.find(req.guildId, p.label) : undefined;
          this.#store.labels.add({
            guildId: req.guildId,
            faceId,
            characterId: character?.id ?? null,
            source: 'predicted',
            confidence: p.confidence,
            headVersion: p.headVersion,
          });
        }
      },
    );
    return {
      imageId: stored.imageId,
      width: result.image.originalWidth,
      height: result.image.originalHeight,
      faces: stored.faces.map(({ faceId, index }) => {
        const p = predictions[index];
        return {
          faceId,
          box: result.faces[index].box,
          label: p.label ? (displayNames.get(p.label) ?? p.label) : null,
          confidence: p.confidence,
          candidates: p.candidates.map((c) => ({ label: displayNames.get(c.label) ?? c.label, score: c.score })),
        };
      }),
      timings: { ...result.timings, headMs },
    };
  }
}
