import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';
import { UserFacingError } from '../src/discord/errors.ts';
import { requireManageServer } from '../src/discord/permissions.ts';
import {
  packChoice,
  rosterAddedContent,
  rosterListContent,
  rosterRemovedContent,
} from '../src/discord/views/roster.ts';

const MAX_CHOICES = 25;

export default {
  data: new SlashCommandBuilder()
    .setName('roster')
    .setDescription("Add your games' characters at once, so I name them before anyone teaches me")
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((sub) => sub.setName('list').setDescription('Show the roster packs, and which this server added'))
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription("Add a game's characters to this server")
        .addStringOption((o) =>
          o.setName('pack').setDescription('The roster pack').setRequired(true).setMaxLength(64).setAutocomplete(true),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('remove')
        .setDescription('Remove a roster pack (characters you taught or corrected stay)')
        .addStringOption((o) =>
          o.setName('pack').setDescription('The roster pack').setRequired(true).setMaxLength(64).setAutocomplete(true),
        ),
    ),

  async execute(interaction, { services }) {
    const guildId = interaction.guildId!;
    const sub = interaction.options.getSubcommand();
    const packs = services.roster.list(guildId);
    if (sub === 'list') {
      await interaction.reply({ content: rosterListContent(packs), flags: MessageFlags.Ephemeral });
      return;
    }
    requireManageServer(interaction, "change this server's roster");
    // Checked before deferring, so a typo or a pack already added is answered privately.
    const typed = interaction.options.getString('pack', true).trim();
    const key = typed.toLowerCase();
    const pack = packs.find((p) => p.id === key || p.title.toLowerCase() === key || p.franchise.toLowerCase() === key);
    if (!pack) {
      throw new UserFacingError(
        packs.length === 0
          ? 'No roster packs are installed on this bot yet.'
          : `I don't have a roster pack called **${typed}**. \`/roster list\` shows them all.`,
      );
    }
    if (sub === 'add' && pack.added) throw new UserFacingError(`**${pack.title}** is already in this server's roster.`);
    if (sub === 'remove' && !pack.added) throw new UserFacingError(`**${pack.title}** isn't in this server's roster.`);
    // Adding fits the pack's recogniser the first time any server adds it: a few seconds.
    await interaction.deferReply();
    if (sub === 'add') {
      const added = await services.roster.add(guildId, pack.id, interaction.user.id);
      await interaction.editReply(rosterAddedContent(added));
      return;
    }
    const removed = await services.roster.remove(guildId, pack.id);
    await interaction.editReply(rosterRemovedContent(removed));
  },

  async autocomplete(interaction, { services }) {
    if (!interaction.guildId) return interaction.respond([]);
    const removing = interaction.options.getSubcommand() === 'remove';
    const typed = interaction.options.getFocused().trim().toLowerCase();
    const choices = services.roster
      .list(interaction.guildId)
      // Removing offers only the packs this server added; adding offers every pack, those not added first.
      .filter((p) => !removing || p.added)
      .filter((p) => [p.id, p.title, p.franchise].some((s) => s.toLowerCase().includes(typed)))
      .sort((a, b) => Number(a.added !== removing) - Number(b.added !== removing) || a.title.localeCompare(b.title))
      .slice(0, MAX_CHOICES)
      .map((p) => packChoice(p, removing ? '✅ added' : 'already added'));
    await interaction.respond(choices);
  },
} satisfies Command;
