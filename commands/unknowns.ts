import { AttachmentBuilder, EmbedBuilder, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { cleanCharacterName } from '../src/discord/character-names.ts';
import type { Command } from '../src/discord/command-loader.ts';
import { MAX_CHARACTER_NAME_LENGTH } from '../src/discord/custom-ids.ts';

const SHOWN = 3;

export default {
  data: new SlashCommandBuilder()
    .setName('unknowns')
    .setDescription('Faces I could not name, grouped by who they look like')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) => sub.setName('list').setDescription('Show the biggest groups of unknown faces'))
    .addSubcommand((sub) =>
      sub
        .setName('name')
        .setDescription('Name a whole group at once (teaches me every face in it)')
        .addStringOption((o) => o.setName('group').setDescription('The group id from /unknowns list').setRequired(true))
        .addStringOption((o) =>
          o.setName('name').setDescription('Who they are').setRequired(true).setMaxLength(MAX_CHARACTER_NAME_LENGTH),
        )
        .addStringOption((o) => o.setName('exclude').setDescription('Face numbers that are someone else, e.g. 12, 15')),
    ),

  async execute(interaction, { services }) {
    const guildId = interaction.guildId!;
    const service = services.unknowns;
    await interaction.deferReply();
    if (interaction.options.getSubcommand() === 'list') {
      const listing = await service.listClusters(guildId);
      if (listing.clusters.length === 0) {
        await interaction.editReply(
          listing.unknownFaces === 0
            ? '✨ No unknown faces right now: I could name everyone I saw.'
            : `I have ${listing.unknownFaces} unknown faces, but none look alike enough to group yet.`,
        );
        return;
      }
      const shown = listing.clusters.slice(0, SHOWN);
      const files = await Promise.all(
        shown.map(
          async (c, i) => new AttachmentBuilder(await service.sheet(guildId, c), { name: `group-${i + 1}.png` }),
        ),
      );
      const embeds = shown.map((c, i) =>
        new EmbedBuilder()
          .setColor(0xff74b8)
          .setTitle(`Group \`${c.id}\` · ${c.size} faces`)
          .setDescription(
            c.nearest
              ? `Closest known character: **${c.nearest.character}** (${Math.round(c.nearest.similarity * 100)}% alike)`
              : 'Nobody I know looks like them.',
          )
          .setImage(`attachment://group-${i + 1}.png`),
      );
      await interaction.editReply({
        content: `🔍 ${listing.clusters.length} groups among ${listing.unknownFaces} unknown faces. Name one with \`/unknowns name group:<id> name:<who>\`.`,
        embeds,
        files,
      });
      return;
    }
    const exclude = (interaction.options.getString('exclude') ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number)
      .filter(Number.isInteger);
    const result = await service.nameCluster(
      guildId,
      interaction.options.getString('group', true).trim(),
      cleanCharacterName(interaction.options.getString('name', true)),
      interaction.user.id,
      exclude,
    );
    await interaction.editReply(
      `📚 ${result.created ? 'Nice to meet you' : 'Got it'}, **${result.character}**! I learned ${result.taught} faces from that group` +
        (result.excluded.length ? ` (left out ${result.excluded.length})` : '') +
        '.',
    );
  },
} satisfies Command;
