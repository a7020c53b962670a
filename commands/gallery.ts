import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { cleanCharacterName, suggestCharacters } from '../src/discord/character-names.ts';
import type { Command } from '../src/discord/command-loader.ts';
import { MAX_CHARACTER_NAME_LENGTH } from '../src/discord/custom-ids.ts';
import { buildGalleryPage } from '../src/discord/views/gallery.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('gallery')
    .setDescription('Browse every screenshot a character appears in')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o
        .setName('name')
        .setDescription('The character')
        .setRequired(true)
        .setMaxLength(MAX_CHARACTER_NAME_LENGTH)
        .setAutocomplete(true),
    ),

  async execute(interaction, ctx) {
    const name = cleanCharacterName(interaction.options.getString('name', true));
    await interaction.deferReply();
    await interaction.editReply(await buildGalleryPage(ctx, interaction.guildId!, name, 0));
  },

  autocomplete: suggestCharacters,
} satisfies Command;
