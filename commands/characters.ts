import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';

const MAX_LENGTH = 1900;

export default {
  data: new SlashCommandBuilder()
    .setName('characters')
    .setDescription('List every character I know here, with how many faces I have of each')
    .setContexts(InteractionContextType.Guild),

  async execute(interaction, { services }) {
    const characters = [...services.characters.list(interaction.guildId!)].sort(
      (a, b) => b.faces - a.faces || a.name.localeCompare(b.name),
    );
    if (characters.length === 0) {
      await interaction.reply("I don't know any idols here yet! Teach me one with `/teach`. ✨");
      return;
    }
    const lines: string[] = [];
    let length = 0;
    for (const [i, c] of characters.entries()) {
      const line = `**${c.name}** · ${c.faces} face${c.faces === 1 ? '' : 's'}`;
      if (length + line.length > MAX_LENGTH) {
        lines.push(`…and ${characters.length - i} more.`);
        break;
      }
      lines.push(line);
      length += line.length + 1;
    }
    await interaction.reply(
      `🌟 I know **${characters.length}** character${characters.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    );
  },
} satisfies Command;
