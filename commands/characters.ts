import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';

const MAX_LENGTH = 1900;

export default {
  data: new SlashCommandBuilder()
    .setName('characters')
    .setDescription('List every character I know here, with how many faces I have of each')
    .setContexts(InteractionContextType.Guild),

  async execute(interaction, { services }) {
    const all = services.characters.list(interaction.guildId!);
    // Pack characters nobody taught yet are counted per game, not listed one per line.
    const untaughtByGame = new Map<string, number>();
    for (const c of all)
      if (c.franchise && c.faces === 0) untaughtByGame.set(c.franchise, (untaughtByGame.get(c.franchise) ?? 0) + 1);
    const characters = all
      .filter((c) => !(c.franchise && c.faces === 0))
      .sort((a, b) => b.faces - a.faces || a.name.localeCompare(b.name));
    const packLines = [...untaughtByGame].map(
      ([game, n]) => `📦 and **${n}** ${game} character${n === 1 ? '' : 's'} from a roster pack (\`/roster list\`)`,
    );
    if (characters.length === 0 && packLines.length > 0) {
      await interaction.reply(`🌟 I know **${all.length}** characters:\n${packLines.join('\n')}`);
      return;
    }
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
      `🌟 I know **${all.length}** character${all.length === 1 ? '' : 's'}:\n${[...lines, ...packLines].join('\n')}`,
    );
  },
} satisfies Command;
