/** Character names as fans type them: cleaned up once here, and offered back by autocomplete. */
import type { AutocompleteInteraction } from 'discord.js';
import type { BotContext } from './context.ts';
import { MAX_CHARACTER_NAME_LENGTH } from './custom-ids.ts';
import { UserFacingError } from './errors.ts';

/** Trims and collapses spaces; refuses empty and over-long names (the services check the rest). */
export function cleanCharacterName(input: string): string {
  const name = input.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (!name) throw new UserFacingError('A character needs a name! Please type one in.');
  if (name.length > MAX_CHARACTER_NAME_LENGTH) {
    throw new UserFacingError(
      `That name is a little long. Could you keep it under ${MAX_CHARACTER_NAME_LENGTH} characters?`,
    );
  }
  return name;
}

/** Discord's limits on autocomplete: choices per answer, and characters in a choice's name and value. */
const MAX_CHOICES = 25;
const MAX_CHOICE_LENGTH = 100;

/**
 * Suggests the guild's characters whose name, or any name a roster pack gives them ("kaede", "高垣楓"),
 * matches what was typed: those starting with it first, then the most taught. A pack character shows its
 * game ("Shibuya Rin · iM@S CG") so two of one name can be told apart; the value is the name itself.
 */
export async function suggestCharacters(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.guildId) return interaction.respond([]);
  const typed = interaction.options.getFocused();
  const choices = ctx.services.characters
    .suggest(interaction.guildId, typed, MAX_CHOICES)
    // A value Discord would refuse cannot be shortened: it is the name the command gets back.
    .filter((s) => s.value.length <= MAX_CHOICE_LENGTH)
    .map((s) => ({ name: truncate(s.label, MAX_CHOICE_LENGTH), value: s.value }));
  await interaction.respond(choices);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
