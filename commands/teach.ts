import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import {
  attachmentProblem,
  downloadAttachment,
  looksLikeImage,
  type AttachmentRef,
} from '../src/discord/attachments.ts';
import { cleanCharacterName, suggestCharacters } from '../src/discord/character-names.ts';
import type { Command } from '../src/discord/command-loader.ts';
import { MAX_CHARACTER_NAME_LENGTH } from '../src/discord/custom-ids.ts';
import { describeError, UserFacingError } from '../src/discord/errors.ts';
import { attachmentOptions, attachmentsOfMessage, fetchLinkedMessage } from '../src/discord/image-sources.ts';
import { teachReport, type TaughtImage } from '../src/discord/views/teach-report.ts';
import type { TeachImage } from '../src/services/index.ts';

const IMAGE_OPTIONS = ['image', ...Array.from({ length: 9 }, (_, i) => `image${i + 2}`)] as const;
const MAX_IMAGES = IMAGE_OPTIONS.length;

const data = new SlashCommandBuilder()
  .setName('teach')
  .setDescription('Teach me a character from pictures of their face')
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName('name')
      .setDescription("The character's name (a new name adds a new character)")
      .setRequired(true)
      .setMaxLength(MAX_CHARACTER_NAME_LENGTH)
      .setAutocomplete(true),
  );
for (const [i, name] of IMAGE_OPTIONS.entries()) {
  data.addAttachmentOption((o) =>
    o.setName(name).setDescription(i === 0 ? 'A picture of the character' : `Picture ${i + 1} (optional)`),
  );
}
data.addStringOption((o) =>
  o.setName('message_link').setDescription('Or: a link to a message whose pictures show the character'),
);

export default {
  data,

  async execute(interaction, ctx) {
    const guildId = interaction.guildId!;
    const character = cleanCharacterName(interaction.options.getString('name', true));
    const link = interaction.options.getString('message_link');
    // Where each picture came from, so the gallery can link back to a linked message.
    let refs: Array<AttachmentRef & { messageId?: string; channelId: string }> = attachmentOptions(
      interaction,
      IMAGE_OPTIONS,
    ).map((ref) => ({ ...ref, channelId: interaction.channelId }));
    if (refs.length === 0 && !link) {
      throw new UserFacingError(
        `Attach a picture of **${character}** (or give me a message link) and I'll learn from it!`,
      );
    }
    await interaction.deferReply();
    if (link) {
      const message = await fetchLinkedMessage(interaction.client, link, guildId);
      const linked = attachmentsOfMessage(message).filter(looksLikeImage);
      if (linked.length === 0) throw new UserFacingError("That message doesn't have any pictures I could learn from.");
      refs = [...refs, ...linked.map((ref) => ({ ...ref, channelId: message.channelId, messageId: message.id }))];
    }
    refs = refs.slice(0, MAX_IMAGES);

    // Check and download every picture; the ones that fail are reported, not fatal.
    const report: TaughtImage[] = [];
    const downloads: Array<TeachImage & { index: number }> = [];
    for (const ref of refs) {
      const problem = attachmentProblem(ref, { maxBytes: ctx.settings.maxAttachmentBytes });
      report.push({ name: ref.name, ok: false, error: problem });
      if (problem) continue;
      try {
        const bytes = await downloadAttachment(ref, {
          maxBytes: ctx.settings.maxAttachmentBytes,
          timeoutMs: ctx.settings.attachmentTimeoutMs,
          testOrigin: ctx.settings.testAttachmentOrigin,
        });
        downloads.push({
          index: report.length - 1,
          bytes,
          name: ref.name,
          source: {
            kind: 'teach',
            fileName: ref.name,
            authorId: interaction.user.id,
            channelId: ref.channelId,
            messageId: ref.messageId,
            url: ref.url,
          },
        });
      } catch (error) {
        const { message, expected } = describeError(error);
        if (!expected) throw error;
        report[report.length - 1].error = message;
      }
    }
    if (downloads.length === 0) {
      await interaction.editReply(teachReport(character, false, report));
      return;
    }

    const taught = await ctx.services.teaching.teach({
      guildId,
      character,
      images: downloads.map(({ bytes, name, source }) => ({ bytes, name, source })),
      by: interaction.user.id,
    });
    taught.results.forEach((result, i) => {
      const entry = report[downloads[i].index];
      Object.assign(entry, {
        ok: result.ok,
        whole: result.whole,
        facesFound: result.facesFound,
        cropPng: result.cropPng,
        error: result.ok ? undefined : result.error,
      });
    });
    ctx.logger.info(
      {
        guildId,
        character: taught.character,
        created: taught.created,
        used: taught.results.filter((r) => r.ok).length,
      },
      'taught a character',
    );
    await interaction.editReply(teachReport(taught.character, taught.created, report));
  },

  autocomplete: suggestCharacters,
} satisfies Command;
