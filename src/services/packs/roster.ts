import { characterKey, validateCharacterName } from '../../store/characters.ts';
import type { Store } from '../../store/index.ts';
import type { PackRow } from '../../store/packs.ts';
import type { EmbedderRegistry } from '../embedder-registry.ts';
import { UserInputError } from '../errors.ts';
import type { JobQueue } from '../queue.ts';
import { userMessages } from '../user-messages.ts';
import type { PackLibrary } from './library.ts';

export interface RosterEntry {
  id: string;
  title: string;
  franchise: string;
  characters: number;
  origin: 'shipped' | 'file';
  /** Whether this guild added it. */
  added: boolean;
  /** Whether the pack has references for the embedder in service (else its characters need taught faces). */
  covered: boolean;
}

export interface RosterAdd {
  pack: RosterEntry;
  /** Characters the guild had already made that now stand for the pack's (a taught "kaede"). */
  linked: string[];
  /** Characters added. */
  created: number;
  /** Time to fit the pack's head, when this was its first use under this embedder (0 otherwise). */
  fitMs: number;
  ms: number;
}

export interface RosterRemove {
  pack: RosterEntry;
  /** Characters that people taught or corrected: they stay, with every face. */
  kept: string[];
  removed: number;
}

/** Which roster packs each guild uses: adding one brings its characters, removing one keeps what people taught. */
export class RosterService {
  readonly #store: Store;

  constructor(
    store: Store,
    private readonly library: PackLibrary,
    private readonly embedders: EmbedderRegistry,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  list(guildId: string): RosterEntry[] {
    const added = new Set(this.#store.packs.forGuild(guildId));
    return this.library.list().map((row) => this.entry(row, added.has(row.id)));
  }

  /** The packs a guild added, in the order it added them. */
  added(guildId: string): RosterEntry[] {
    return this.list(guildId).filter((p) => p.added);
  }

  /**
   * What to say before an embedder training: a trained embedder has no references in any pack, so once it
   * serves, pack characters are named from taught faces only (docs/packs.md, "When the embedder changes").
   */
  trainingNotice(): string | undefined {
    const inUse = this.#store.packs.inUse();
    if (inUse.length === 0) return undefined;
    return userMessages.packsAfterTraining(inUse.map((id) => this.#store.packs.get(id)?.title ?? id));
  }

  add(guildId: string, packId: string, by?: string): Promise<RosterAdd> {
    return this.queue.run(() => this.addNow(guildId, packId, by));
  }

  remove(guildId: string, packId: string): Promise<RosterRemove> {
    return this.queue.run(async () => this.removeNow(guildId, packId));
  }

  private async addNow(guildId: string, packId: string, by?: string): Promise<RosterAdd> {
    const started = performance.now();
    const row = this.require(packId);
    if (this.#store.packs.forGuild(guildId).includes(row.id)) {
      throw new UserInputError(`${row.title} is already in this server's roster.`);
    }
    const pack = { header: this.library.header(row) };
    // The head first: a pack that cannot be used is not half-added.
    const fitStarted = performance.now();
    const hadHead = this.library.head(row.id) !== undefined;
    await this.library.ensureHead(row.id);
    const fitMs = hadHead ? 0 : performance.now() - fitStarted;
    const { linked, created } = this.#store.transaction(() => {
      this.#store.packs.addToGuild(guildId, row.id, by);
      const linked: string[] = [];
      let created = 0;
      const aliasCount = new Map<string, number>();
      for (const c of pack.header.characters) {
        for (const a of new Set(c.aliases.map(characterKey))) aliasCount.set(a, (aliasCount.get(a) ?? 0) + 1);
      }
      for (const c of pack.header.characters) {
        if (this.#store.packs.characterOf(guildId, row.id, c.id)) continue;
        // A character the guild made under one of this character's names becomes it (its faces with it),
        // unless that name is an alias several of the pack's characters share.
        const names = [c.name, c.nameJa, c.nameEn, ...c.aliases.filter((a) => aliasCount.get(characterKey(a)) === 1)];
        const mine = names
          .filter((n): n is string => !!n)
          .map((n) => this.#store.characters.find(guildId, n))
          .find((found) => found && !found.pack_id);
        if (mine) {
          this.#store.packs.link(guildId, mine.id, row.id, c.id);
          linked.push(mine.display_name);
          continue;
        }
        this.#store.packs.insertCharacter(
          guildId,
          this.freeName(guildId, c.name, row.franchise, c.id),
          row.id,
          c.id,
          by,
        );
        created++;
      }
      return { linked, created };
    });
    return { pack: this.entry(row, true), linked, created, fitMs, ms: performance.now() - started };
  }

  private removeNow(guildId: string, packId: string): RosterRemove {
    const row = this.require(packId);
    if (!this.#store.packs.forGuild(guildId).includes(row.id)) {
      throw new UserInputError(`${row.title} is not in this server's roster.`);
    }
    return this.#store.transaction(() => {
      this.#store.packs.removeFromGuild(guildId, row.id);
      const kept: string[] = [];
      let removed = 0;
      for (const c of this.#store.packs.charactersOf(guildId, row.id)) {
        if (this.#store.packs.hasHumanLabels(c.id)) {
          this.#store.packs.unlink(guildId, c.id);
          kept.push(c.display_name);
        } else {
          this.#store.characters.remove(guildId, c.id);
          removed++;
        }
      }
      return { pack: this.entry(row, false), kept, removed };
    });
  }

  /** The pack character's name, or with its game when the guild already uses that name ("Rin (Project Sekai)"). */
  private freeName(guildId: string, name: string, franchise: string, id: string): string {
    const candidates = [name, `${name} (${franchise})`, `${name} (${id})`, ...[2, 3, 4, 5].map((n) => `${name} ${n}`)];
    for (const candidate of candidates) {
      // Names people can type back: at most 64 characters (validateCharacterName).
      if (!validateCharacterName(candidate) && !this.#store.characters.find(guildId, candidate)) return candidate;
    }
    throw new UserInputError(`Every name for ${name} is taken in this server; rename a character first.`);
  }

  private require(packId: string): PackRow {
    const key = packId.trim().toLowerCase();
    const row =
      this.library.get(key) ??
      this.library.list().find((p) => p.title.toLowerCase() === key || p.franchise.toLowerCase() === key);
    if (!row) {
      const known = this.library.list().map((p) => p.id);
      throw new UserInputError(
        known.length
          ? `There is no roster pack called “${packId}”. Packs: ${known.join(', ')}.`
          : 'No roster packs are installed.',
      );
    }
    return row;
  }

  private entry(row: PackRow, added: boolean): RosterEntry {
    let covered = false;
    try {
      covered = this.library.head(row.id) !== undefined || this.library.covers(row, this.embedders.activeVersion());
    } catch {
      covered = false;
    }
    return {
      id: row.id,
      title: row.title,
      franchise: row.franchise,
      characters: row.characters,
      origin: row.origin,
      added,
      covered,
    };
  }
}
