import { characterKey, validateCharacterName } from '../store/characters.ts';
import { resolveCharacter } from './character-names.ts';
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

  /** Every character with its human-labelled faces; `franchise` for those a roster pack brought. */
  list(guildId: string): Array<{ name: string; faces: number; franchise?: string }> {
    const franchises = new Map(this.#store.packs.all().map((p) => [p.id, p.franchise]));
    return this.#store.characters.listWithCounts(guildId).map((c) => ({
      name: c.display_name,
      faces: c.faces,
      ...(c.pack_id && franchises.has(c.pack_id) ? { franchise: franchises.get(c.pack_id) } : {}),
    }));
  }

  /**
   * Whether the guild knows nobody yet: no character and no roster pack. Two indexed counts, cheap enough
   * to ask on every "unknown" reply (list() scans every label).
   */
  isBlank(guildId: string): boolean {
    return this.#store.characters.count(guildId) === 0 && this.#store.packs.forGuild(guildId).length === 0;
  }

  /** The character a typed name means (its name, or a pack alias: "kaede"), with its faces; ambiguous names throw. */
  find(guildId: string, name: string): { name: string; faces: number; franchise?: string } | undefined {
    const character = resolveCharacter(this.#store, guildId, name);
    return character ? this.list(guildId).find((c) => c.name === character.display_name) : undefined;
  }

  /**
   * Characters whose name or any pack name (Japanese name, given name) contains what was typed: those
   * starting with it first, then the most taught. A pack character's label carries its game, so two
   * "Rin"s of two games can be told apart; `value` is the name the services take back.
   */
  suggest(guildId: string, typed: string, limit = 25): Array<{ label: string; value: string }> {
    const key = characterKey(typed);
    const names = new Map<number, string[]>();
    for (const n of this.#store.packs.namesOfGuild(guildId)) {
      names.set(n.character_id, [...(names.get(n.character_id) ?? []), n.name_key]);
    }
    const franchises = new Map(this.#store.packs.all().map((p) => [p.id, p.franchise]));
    return this.#store.characters
      .listWithCounts(guildId)
      .map((c) => {
        const keys = [c.name_key, ...(names.get(c.id) ?? [])];
        const starts = keys.some((k) => k.startsWith(key) || k.split(' ').some((w) => w.startsWith(key)));
        const contains = starts || keys.some((k) => k.includes(key));
        return { c, starts, contains };
      })
      .filter((m) => m.contains)
      .sort((a, b) => Number(b.starts) - Number(a.starts) || b.c.faces - a.c.faces)
      .slice(0, limit)
      .map(({ c }) => {
        const franchise = c.pack_id ? franchises.get(c.pack_id) : undefined;
        return { label: franchise ? `${c.display_name} · ${franchise}` : c.display_name, value: c.display_name };
      });
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
    const character = resolveCharacter(this.#store, guildId, name);
    if (!character) throw new UserInputError(`I don't know anyone called “${name}” yet.`);
    return character;
  }
}
