import { validateCharacterName } from '../store/characters.ts';
import type { Store } from '../store/index.ts';
import type { HeadService } from './heads.ts';
import { UserInputError } from './errors.ts';
import type { JobQueue } from './queue.ts';

/** Listing and housekeeping of a guild's characters; every change refits the head. */
export class CharacterService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly heads: HeadService,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  list(guildId: string): Array<{ name: string; faces: number }> {
    return this.#store.characters.listWithCounts(guildId).map((c) => ({ name: c.display_name, faces: c.faces }));
  }

  /** Through the queue, like every change that refits the head. */
  rename(guildId: string, from: string, to: string): Promise<void> {
    return this.queue.run(() => this.renameNow(guildId, from, to));
  }

  merge(guildId: string, from: string, into: string): Promise<void> {
    return this.queue.run(() => this.mergeNow(guildId, from, into));
  }

  remove(guildId: string, name: string): Promise<void> {
    return this.queue.run(() => this.removeNow(guildId, name));
  }

  private async renameNow(guildId: string, from: string, to: string): Promise<void> {
    const character = this.require(guildId, from);
    const invalid = validateCharacterName(to);
    if (invalid) throw new UserInputError(invalid);
    const clash = this.#store.characters.find(guildId, to);
    if (clash && clash.id !== character.id) {
      throw new UserInputError(`There is already a character called ${clash.display_name}; merge them instead.`);
    }
    this.#store.characters.rename(guildId, character.id, to);
    await this.heads.refit(guildId);
  }

  private async mergeNow(guildId: string, from: string, into: string): Promise<void> {
    const source = this.require(guildId, from);
    const target = this.require(guildId, into);
    if (source.id === target.id) throw new UserInputError('Those are the same character.');
    this.#store.transaction(() => this.#store.characters.merge(guildId, source.id, target.id));
    await this.heads.refit(guildId);
  }

  private async removeNow(guildId: string, name: string): Promise<void> {
    const character = this.require(guildId, name);
    this.#store.transaction(() => this.#store.characters.remove(guildId, character.id));
    await this.heads.refit(guildId);
  }

  private require(guildId: string, name: string) {
    const character = this.#store.characters.find(guildId, name);
    if (!character) throw new UserInputError(`I don't know anyone called “${name}” yet.`);
    return character;
  }
}
