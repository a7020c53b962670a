import { InteractionContextType, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { attachmentProblem } from '../src/discord/attachments.ts';
import type { Command } from '../src/discord/command-loader.ts';
import { UserFacingError } from '../src/discord/errors.ts';
import { refOf } from '../src/discord/image-sources.ts';
import { tagAttachment, tagReplyPayload } from '../src/discord/tagging.ts';

export default {
  data: new SlashCommandBuilder()
    .setName('tag')
    .setDescription("Show me a screenshot and I'll name the idols in it")
    .setContexts(InteractionContextType.Guild)
    .addAttachmentOption((o) => o.setName('image').setDescription('The screenshot').setRequired(true))
    .addBooleanOption((o) => o.setName('private').setDescription('Only you see my answer (default: everyone)')),

  async execute(interaction, ctx) {
    const ref = refOf(interaction.options.getAttachment('image', true));
    const problem = attachmentProblem(ref, { maxBytes: ctx.settings.maxAttachmentBytes });
    if (problem) throw new UserFacingError(problem);
    const ephemeral = interaction.options.getBoolean('private') ?? false;
    const response = await interaction.deferReply({
      flags: ephemeral ? MessageFlags.Ephemeral : undefined,
      withResponse: true,
    });
    const outcome = await tagAttachment(ctx, {
      guildId: interaction.guildId!,
      ref,
      source: {
        kind: 'discord',
        channelId: interaction.channelId,
        // The deferred reply becomes the message holding the screenshot's preview: the gallery links to it.
        messageId: response.resource?.message?.id ?? interaction.id,
        url: ref.url,
        authorId: interaction.user.id,
      },
    });
    await interaction.editReply(tagReplyPayload(outcome));
  },
} satisfies Command;
