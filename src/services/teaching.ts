import { readFile } from 'node:fs/promises';
import { findOrCreateCharacter, resolveCharacter } from './character-names.ts';
import type { Box } from '../core/types.ts';
import { validateCharacterName } from '../store/characters.ts';
import type { Store } from '../store/index.ts';
import { ImageInputError, UserInputError } from './errors.ts';
import type { HeadService } from './heads.ts';
import { userMessages } from './user-messages.ts';
import { sha256 } from './files.ts';
import { encodeCropPng, type ImageSource, type RecognitionService } from './recognition.ts';
import type { JobQueue } from './queue.ts';

export interface TeachImage {
  bytes: Buffer;
  name: string;
  source?: ImageSource;
}

export interface TeachResultItem {
  name: string;
  ok: boolean;
  faceId?: number;
  box?: Box;
  whole?: boolean;
  facesFound?: number;
  cropPng?: Buffer;
  error?: string;
  /** The same image was already taught as this character: nothing was added. */
  duplicate?: boolean;
}

export interface TeachResult {
  character: string;
  created: boolean;
  results: TeachResultItem[];
  headVersion: number | null;
}

export interface TeachRequest {
  guildId: string;
  character: string;
  images: TeachImage[];
  by: string;
  crops?: boolean;
  refit?: boolean;
  previews?: boolean;
}

export interface TeachFilesRequest {
  guildId: string;
  character: string;
  /** Pictures on disk; one that cannot be read is reported as not taught, like a broken picture. */
  files: string[];
  by: string;
  crops?: boolean;
  /** Checked before each file: a stop keeps what was taught so far. */
  signal?: AbortSignal;
  /** Called once a file is taught or refused (its `name` is the file's path). */
  onFile?: (result: TeachResultItem) => void;
}

/** Turns examples a person gave into taught faces and refits the head. */
export class TeachingService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly recognition: RecognitionService,
    private readonly heads: HeadService,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  /** Through the queue: detection, embedding and the refit run one request at a time. */
  teach(req: TeachRequest): Promise<TeachResult> {
    return this.queue.run(() => this.learn(req));
  }

  /**
   * Teaches pictures on disk (an import, an evaluation's or a bench's training faces), each file in its
   * own queued request and transaction, so a stop between files loses nothing. Nothing is refit and no
   * previews are made: the caller refits once when everything is in.
   */
  async teachFiles(req: TeachFilesRequest): Promise<TeachResultItem[]> {
    const results: TeachResultItem[] = [];
    for (const file of req.files) {
      if (req.signal?.aborted) break;
      const bytes = await readFile(file).catch(() => Buffer.alloc(0));
      const taught = await this.teach({
        guildId: req.guildId,
        character: req.character,
        by: req.by,
        crops: req.crops,
        refit: false,
        previews: false,
        images: [{ bytes, name: file, source: { kind: 'import', path: file } }],
      });
      for (const result of taught.results) {
        results.push(result);
        req.onFile?.(result);
      }
    }
    return results;
  }

  private async learn(req: TeachRequest): Promise<TeachResult> {
    const invalid = validateCharacterName(req.character);
    if (invalid) throw new UserInputError(invalid);
    let created = false;
    let characterId: number | undefined;
    let display = req.character;
    const results: TeachResultItem[] = [];
    // An ambiguous name ("rin" of two games) is refused before any picture is looked at.
    resolveCharacter(this.#store, req.guildId, req.character);
    for (const image of req.images) {
      // Re-sending (or re-importing after a crash) the same file must not count it twice.
      const known = resolveCharacter(this.#store, req.guildId, req.character);
      const already = known && this.#store.images.humanLabelledFaceOfImage(req.guildId, sha256(image.bytes), known.id);
      if (already) {
        results.push({
          name: image.name,
          ok: false,
          duplicate: true,
          faceId: already,
          error: `Already taught as ${known.display_name}.`,
        });
        continue;
      }
      try {
        const result = await this.recognition.recognise(image.bytes, { crops: req.crops, wholeImageFallback: true });
        if (result.faces.length === 0) {
          results.push({ name: image.name, ok: false, facesFound: 0, error: userMessages.noFaceFound });
          continue;
        }
        // The pipeline returns faces largest first: one example per image is the largest face.
        const face = result.faces[0];
        const source: ImageSource = image.source ?? { kind: 'teach', fileName: image.name, authorId: req.by };
        // One encoding serves both the stored crop and the reply's preview of it.
        const cropPng = encodeCropPng(face.crop);
        const stored = await this.recognition.remember(
          req.guildId,
          image.bytes,
          { ...result, cropPngs: [cropPng] },
          source,
          { keepOriginal: true, faceIndexes: [0] },
          ([taught]) => {
            if (characterId === undefined) {
              const found = findOrCreateCharacter(this.#store, req.guildId, req.character, req.by);
              created = found.created;
              characterId = found.character.id;
              display = found.character.display_name;
            }
            this.#store.labels.add({
              guildId: req.guildId,
              faceId: taught.faceId,
              characterId,
              source: 'taught',
              by: req.by,
            });
          },
        );
        results.push({
          name: image.name,
          ok: true,
          faceId: stored.faces[0].faceId,
          box: face.box,
          whole: face.detector === 'whole',
          facesFound: result.faces.length,
          cropPng: req.previews === false ? undefined : await cropPng,
        });
      } catch (err) {
        if (!(err instanceof ImageInputError)) throw err;
        results.push({ name: image.name, ok: false, error: err.message });
      }
    }
    const taughtAny = results.some((r) => r.ok);
    const refit = taughtAny && req.refit !== false ? await this.heads.refit(req.guildId) : undefined;
    return { character: display, created, results, headVersion: refit?.headVersion ?? null };
  }
}
