import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { cleanCharacterName, suggestCharacters } from '../src/discord/character-names.ts';
import type { Command } from '../src/discord/command-loader.ts';
import { MAX_CHARACTER_NAME_LENGTH } from '../src/discord/custom-ids.ts';
import { UserFacingError } from '../src/discord/errors.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('character')
    .setDescription('Tidy up the characters I know')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((sub) =>
      sub
        .setName('rename')
        .setDescription('Give a character a new name')
        .addStringOption((o) =>
          o.setName('name').setDescription('The character').setRequired(true).setAutocomplete(true),
        )
        .addStringOption((o) =>
          o
            .setName('new_name')
            .setDescription('Their new name')
            .setRequired(true)
            .setMaxLength(MAX_CHARACTER_NAME_LENGTH),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('merge')
        .setDescription('Two names for the same character? Fold one into the other')
        .addStringOption((o) =>
          o.setName('from').setDescription('The name to fold away').setRequired(true).setAutocomplete(true),
        )
        .addStringOption((o) =>
          o.setName('into').setDescription('The name to keep').setRequired(true).setAutocomplete(true),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('delete')
        .setDescription('Forget a character and every face taught for them')
        .addStringOption((o) =>
          o.setName('name').setDescription('The character').setRequired(true).setAutocomplete(true),
        ),
    ),

  async execute(interaction, { services }) {
    const guildId = interaction.guildId!;
    const known = new Map(services.characters.list(guildId).map((c) => [c.name.toLowerCase(), c]));
    const existing = (option: string) => {
      const name = cleanCharacterName(interaction.options.getString(option, true));
      // A pack character answers to its aliases too ("kaede"); an ambiguous one is refused with the choices.
      const found = services.characters.find(guildId, name);
      if (!found) throw new UserFacingError(`I don't know anyone called **${name}** here.`);
      return found;
    };
    // Names are checked before deferring, so a typo is answered privately.
    switch (interaction.options.getSubcommand()) {
      case 'rename': {
        const from = existing('name');
        const to = cleanCharacterName(interaction.options.getString('new_name', true));
        if (known.has(to.toLowerCase()) && to.toLowerCase() !== from.name.toLowerCase()) {
          throw new UserFacingError(`**${to}** already exists. Use \`/character merge\` to combine them.`);
        }
        await interaction.deferReply();
        await services.characters.rename(guildId, from.name, to);
        await interaction.editReply(`✏️ **${from.name}** is now called **${to}**.`);
        return;
      }
      case 'merge': {
        const from = existing('from');
        const into = existing('into');
        if (from.name === into.name) throw new UserFacingError('Those are the same character already!');
        await interaction.deferReply();
        await services.characters.merge(guildId, from.name, into.name);
        await interaction.editReply(
          `🤝 Folded **${from.name}** into **${into.name}** (${from.faces + into.faces} faces together).`,
        );
        return;
      }
      case 'delete': {
        const target = existing('name');
        await interaction.deferReply();
        await services.characters.remove(guildId, target.name);
        await interaction.editReply(
          `🗑️ I've forgotten **${target.name}** and the ${target.faces} face${target.faces === 1 ? '' : 's'} taught for them.`,
        );
        return;
      }
    }
  },

  autocomplete: suggestCharacters,
} satisfies Command;
