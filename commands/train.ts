import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command-loader.ts';
import { TrainingBusyError } from '../src/services/index.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('train')
    .setDescription('Retrain my recogniser now instead of waiting for the schedule')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((sub) =>
      sub.setName('head').setDescription('Refit the character recogniser from every taught face (a second or so)'),
    )
    .addSubcommand((sub) =>
      sub
        .setName('embedder')
        .setDescription(
          'Fine-tune the embedder that reads faces on every label (minutes to hours); kept only if better',
        )
        .addIntegerOption((o) =>
          o.setName('epochs').setDescription('Most passes over the labels').setMinValue(1).setMaxValue(50),
        ),
    ),

  async execute(interaction, { services, logger }) {
    const guildId = interaction.guildId!;
    if (interaction.options.getSubcommand() === 'head') {
      await interaction.deferReply();
      const refit = await services.heads.refit(guildId);
      await interaction.editReply(
        `🧠 Recogniser v${refit.headVersion} learned ${refit.characters} characters from ${refit.faces} faces in ${Math.round(refit.fitMs)} ms.`,
      );
      return;
    }
    const notice = services.roster.trainingNotice();
    await interaction.reply(
      `🏋️ Starting an embedder training on every label. Tagging keeps working meanwhile; I will update this message.${
        notice ? `\n⚠️ ${notice}` : ''
      }`,
    );
    let lastEdit = 0;
    const say = async (text: string) => {
      try {
        await interaction.editReply(text);
      } catch {
        // The interaction token lasts 15 minutes; after that, post in the channel instead.
        const channel = interaction.channel;
        if (channel?.isSendable()) await channel.send(text).catch(() => undefined);
      }
    };
    // Runs in the background: the command returns at once and the gateway stays responsive.
    void services.training
      .embedder({
        force: true,
        epochs: interaction.options.getInteger('epochs') ?? undefined,
        onProgress: (e) => {
          if (!('event' in e) || e.event !== 'epoch' || Date.now() - lastEdit < 10_000) return;
          lastEdit = Date.now();
          void say(
            e.stage === 'final'
              ? `🏋️ Training on every label… epoch ${e.epoch}/${e.epochs}.`
              : `🏋️ Training… epoch ${e.epoch}/${e.epochs}, held-out MAP@R ${Number(e.val_map_at_r).toFixed(3)}.`,
          );
        },
      })
      .then((outcome) =>
        say(
          outcome.status === 'activated'
            ? `✅ New embedder **${outcome.version}** is in service (${outcome.reason}).`
            : outcome.status === 'rejected'
              ? `↩️ The new embedder was not better, so the old one stays (${outcome.reason}).`
              : `⚠️ Training did not finish: ${outcome.reason}. The old embedder is still in service.`,
        ),
      )
      .catch((err) => {
        logger.error({ err }, 'embedder training from /train failed');
        return say(
          err instanceof TrainingBusyError
            ? '⏳ Another training is already running.'
            : '⚠️ Training failed; the old embedder is still in service.',
        );
      });
  },
} satisfies Command;
