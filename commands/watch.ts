import {
  ChannelType,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import { botMessages } from '../src/discord/bot-messages.ts';
import type { Command } from '../src/discord/command-loader.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('watch')
    .setDescription('Choose the channels where I name the idols in every screenshot')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription('Start naming idols in screenshots posted in a channel')
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('The channel to watch')
            .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)
            .setRequired(true),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('remove')
        .setDescription('Stop watching a channel')
        .addChannelOption((o) => o.setName('channel').setDescription('The channel to stop watching').setRequired(true)),
    )
    .addSubcommand((sub) => sub.setName('list').setDescription('Show the channels I watch')),

  async execute(interaction, { services }) {
    const guildId = interaction.guildId!;
    const sub = interaction.options.getSubcommand();
    if (sub === 'list') {
      const channels = services.watch.list(guildId);
      await interaction.reply({
        content: channels.length
          ? `👀 I'm watching ${channels.map((id) => `<#${id}>`).join(', ')}.`
          : "I'm not watching any channels yet. Add one with `/watch add`!",
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    const channel = interaction.options.getChannel('channel', true);
    if (sub === 'add') {
      const added = services.watch.add(guildId, channel.id, interaction.user.id);
      const watching = !added
        ? `I'm already watching <#${channel.id}>. 👀`
        : `👀 I'm now watching <#${channel.id}>! Post screenshots there and I'll tell you which idols I see.`;
      await interaction.reply(
        services.characters.isBlank(guildId) ? `${watching}\n${botMessages.howToStart}` : watching,
      );
      return;
    }
    if (!services.watch.remove(guildId, channel.id)) {
      await interaction.reply({ content: `I wasn't watching <#${channel.id}>.`, flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.reply(`Okay, I've stopped watching <#${channel.id}>. 🙈`);
  },
} satisfies Command;
