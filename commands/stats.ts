import { EmbedBuilder, InteractionContextType, SlashCommandBuilder, time, TimestampStyles } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';
import { fleetStats } from '../src/discord/fleet.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('How much I know: embedder, characters, faces and my to-do pile')
    .setContexts(InteractionContextType.Guild),

  async execute(interaction, { services }) {
    const [stats, fleet] = await Promise.all([services.stats(interaction.guildId!), fleetStats(interaction.client)]);
    const reach = fleet.unreachable > 0 ? ` (${fleet.unreachable} restarting)` : '';
    const embed = new EmbedBuilder()
      .setColor(0xff74b8)
      .setTitle('📊 idoltag stats')
      .addFields(
        { name: 'Characters', value: String(stats.characters), inline: true },
        { name: 'Faces', value: String(stats.faces), inline: true },
        { name: 'Screenshots', value: String(stats.images), inline: true },
        { name: 'Embedder', value: `\`${stats.embedderVersion}\``, inline: true },
        {
          name: 'Recogniser version',
          value: stats.headVersion === null ? 'not trained yet' : `v${stats.headVersion}`,
          inline: true,
        },
        { name: 'Pictures waiting', value: String(fleet.picturesWaiting), inline: true },
        { name: 'Servers', value: String(fleet.servers), inline: true },
        {
          name: 'Shards',
          value: `${fleet.shards} in ${fleet.processes} process${fleet.processes === 1 ? '' : 'es'}${reach}`,
          inline: true,
        },
        { name: 'Face finder', value: `\`${stats.detector}\` on ${stats.provider}`, inline: true },
        { name: 'Last training', value: describeTraining(stats.lastTraining), inline: false },
      );
    await interaction.reply({ embeds: [embed] });
  },
} satisfies Command;

/** "kind status 2024-05-01T12:00:00Z" → "kind status, 3 hours ago" (falls back to the raw text). */
function describeTraining(lastTraining: string | null): string {
  if (!lastTraining) return 'nothing yet';
  const stamp = lastTraining.match(/(\S+)$/)?.[1] ?? '';
  const when = new Date(stamp.includes('T') || stamp.includes('-') ? stamp : Number.NaN);
  if (Number.isNaN(when.getTime())) return lastTraining;
  return `${lastTraining.slice(0, -stamp.length).trim()}, ${time(when, TimestampStyles.RelativeTime)}`;
}
