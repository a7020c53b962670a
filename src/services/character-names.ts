import type { CharacterRow } from '../store/characters.ts';
import type { Store } from '../store/index.ts';
import { UserInputError } from './errors.ts';

/** A name that several characters answer to ("rin" in two games): the person must pick one. */
export class AmbiguousCharacterError extends UserInputError {
  constructor(
    readonly typed: string,
    readonly choices: string[],
  ) {
    const listed =
      choices.length === 2 ? choices.join(' or ') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
    super(`“${typed}” could be ${listed}. Which one? Use the full name.`);
  }
}

/** A character as people see it, with its game when it came from a pack ("Shibuya Rin (iM@S CG)"). */
export function labelWithFranchise(store: Store, character: CharacterRow): string {
  const franchise = character.pack_id ? store.packs.get(character.pack_id)?.franchise : undefined;
  return franchise ? `${character.display_name} (${franchise})` : character.display_name;
}

/**
 * The character a typed name means: its own name first, else the name, Japanese name or alias of a pack
 * character the guild has ("kaede", "高垣楓", "takagaki kaede"). Throws when the name is ambiguous.
 */
export function resolveCharacter(store: Store, guildId: string, name: string): CharacterRow | undefined {
  const matches = store.characters.lookup(guildId, name);
  if (matches.length > 1) {
    throw new AmbiguousCharacterError(
      name,
      matches.map((c) => labelWithFranchise(store, c)),
    );
  }
  return matches[0];
}

/** resolveCharacter, or a new character of that name: teaching "kaede" teaches the pack's Kaede, never a twin. */
export function findOrCreateCharacter(
  store: Store,
  guildId: string,
  name: string,
  by?: string,
): { character: CharacterRow; created: boolean } {
  const found = resolveCharacter(store, guildId, name);
  return found ? { character: found, created: false } : store.characters.findOrCreate(guildId, name, by);
}
