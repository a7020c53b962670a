import type { Box, LabelCandidate } from '../core/types.ts';
import { findOrCreateCharacter } from './character-names.ts';
import { validateCharacterName } from '../store/characters.ts';
import type { Store } from '../store/index.ts';
import type { LabelSource } from '../store/labels.ts';
import type { HeadService } from './heads.ts';
import { UserInputError } from './errors.ts';
import type { JobQueue } from './queue.ts';

export interface FaceView {
  faceId: number;
  imageId: number;
  box: Box;
  label: string | null;
  confidence: number;
  candidates: LabelCandidate[];
  labelSource: LabelSource | null;
}

/** Confirmations and corrections from people: stored with who and when, then the head is refit. */
export class CorrectionService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly heads: HeadService,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  faceView(guildId: string, faceId: number): FaceView | undefined {
    const face = this.#store.images.face(guildId, faceId);
    if (!face) return undefined;
    const current = this.#store.labels.current(faceId);
    const character = current?.character_id ? this.#store.characters.byId(guildId, current.character_id) : undefined;
    const embedding = this.#store.embeddings.get(faceId, this.heads.modelVersion());
    const prediction = embedding ? this.heads.predict(guildId, embedding) : undefined;
    const names = new Map(this.#store.characters.listWithCounts(guildId).map((c) => [c.name_key, c.display_name]));
    return {
      faceId,
      imageId: face.image_id,
      box: { x: face.x, y: face.y, w: face.w, h: face.h },
      label: character?.display_name ?? null,
      confidence: current?.source === 'predicted' ? (current.confidence ?? 0) : current ? 1 : 0,
      candidates: (prediction?.candidates ?? []).map((c) => ({ label: names.get(c.label) ?? c.label, score: c.score })),
      labelSource: current?.source ?? null,
    };
  }

  /** How many faces were found on an image (a tag reply shows at most a few of them). */
  faceCountOfImage(guildId: string, imageId: number): number {
    if (!this.#store.images.image(guildId, imageId)) return 0;
    return this.#store.images.facesOfImage(imageId).length;
  }

  // Each correction runs through the queue, so it and its refit land between two recognitions.
  confirm(guildId: string, faceId: number, by: string): Promise<FaceView> {
    return this.queue.run(() => this.confirmNow(guildId, faceId, by));
  }

  relabel(guildId: string, faceId: number, characterName: string, by: string): Promise<FaceView> {
    return this.queue.run(() => this.relabelNow(guildId, faceId, characterName, by));
  }

  notACharacter(guildId: string, faceId: number, by: string): Promise<FaceView> {
    return this.queue.run(() => this.notACharacterNow(guildId, faceId, by));
  }

  private async confirmNow(guildId: string, faceId: number, by: string): Promise<FaceView> {
    const current = this.requireFace(guildId, faceId);
    if (!current.character_id)
      throw new UserInputError('There is no name on this face to confirm yet; pick one instead.');
    return this.record(guildId, faceId, current.character_id, 'confirmed', by);
  }

  private async relabelNow(guildId: string, faceId: number, characterName: string, by: string): Promise<FaceView> {
    this.requireFace(guildId, faceId);
    const invalid = validateCharacterName(characterName);
    if (invalid) throw new UserInputError(invalid);
    const { character } = findOrCreateCharacter(this.#store, guildId, characterName, by);
    return this.record(guildId, faceId, character.id, 'corrected', by);
  }

  private async notACharacterNow(guildId: string, faceId: number, by: string): Promise<FaceView> {
    this.requireFace(guildId, faceId);
    return this.record(guildId, faceId, null, 'not_character', by);
  }

  private requireFace(guildId: string, faceId: number) {
    if (!this.#store.images.face(guildId, faceId)) throw new UserInputError("I can't find that face any more.");
    return this.#store.labels.current(faceId) ?? { character_id: null };
  }

  private async record(
    guildId: string,
    faceId: number,
    characterId: number | null,
    source: LabelSource,
    by: string,
  ): Promise<FaceView> {
    this.#store.labels.add({ guildId, faceId, characterId, source, by });
    await this.heads.refit(guildId);
    return this.faceView(guildId, faceId)!;
  }
}
