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

/** Suggests known characters whose names contain what was typed, the most tagged first. */
export async function suggestCharacters(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.guildId) return interaction.respond([]);
  const typed = interaction.options.getFocused().toLowerCase();
  const matches = ctx.services.characters
    .list(interaction.guildId)
    .filter((c) => c.name.toLowerCase().includes(typed))
    .sort(
      (a, b) =>
        Number(b.name.toLowerCase().startsWith(typed)) - Number(a.name.toLowerCase().startsWith(typed)) ||
        b.faces - a.faces,
    )
    .slice(0, 25);
  await interaction.respond(matches.map((c) => ({ name: c.name, value: c.name })));
}
