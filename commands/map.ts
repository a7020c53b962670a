import { AttachmentBuilder, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('map')
    .setDescription('A map of every face I know: look-alikes sit close, different idols far apart')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName('highlight').setDescription('Characters to ring, comma-separated (e.g. new DLC idols)'),
    ),

  async execute(interaction, { services }) {
    const guildId = interaction.guildId!;
    if (services.characters.list(guildId).length === 0) {
      await interaction.reply({
        content: 'I have not learned any faces here yet. Teach me someone with `/teach` first!',
        flags: 64,
      });
      return;
    }
    await interaction.deferReply();
    const highlight = (interaction.options.getString('highlight') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const map = await services.embeddingMap.render(guildId, { highlight });
    await interaction.editReply({
      content: `🗺️ ${map.faces} faces of ${map.characters} characters. Close dots look alike to me; a lonely cluster is a face I can tell apart easily.`,
      files: [new AttachmentBuilder(map.png, { name: 'idoltag-map.png' })],
    });
  },
} satisfies Command;
