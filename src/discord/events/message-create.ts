/** Screenshots posted in a watched channel get a reply naming the idols in them. */
import type { Message } from 'discord.js';
import { attachmentProblem } from '../attachments.ts';
import type { BotContext } from '../context.ts';
import { describeError } from '../errors.ts';
import { attachmentsOfMessage } from '../image-sources.ts';
import { tagAttachment, tagReplyPayload, whileTyping } from '../tagging.ts';

export async function onMessageCreate(message: Message, ctx: BotContext): Promise<void> {
  if (message.author.bot || message.system || !message.inGuild()) return;
  if (!ctx.services.watch.isWatched(message.guildId, message.channelId)) return;
  const log = ctx.logger.child({
    shardId: message.guild?.shardId,
    guildId: message.guildId,
    channelId: message.channelId,
    messageId: message.id,
  });
  const attachments = attachmentsOfMessage(message);
  // Refused from Discord's metadata alone (not a picture, too big): one reply naming each, no download.
  const problems = attachments.flatMap(
    (ref) => attachmentProblem(ref, { maxBytes: ctx.settings.maxAttachmentBytes }) ?? [],
  );
  if (problems.length > 0) {
    await message.reply({ content: problems.join('\n') }).catch((err) => log.warn({ err }, 'could not reply'));
  }
  const images = attachments
    .filter((ref) => !attachmentProblem(ref, { maxBytes: ctx.settings.maxAttachmentBytes }))
    .slice(0, ctx.settings.maxImagesPerMessage);
  for (const ref of images) {
    try {
      const outcome = await whileTyping(message.channel, () =>
        tagAttachment(ctx, {
          guildId: message.guildId,
          ref,
          source: {
            kind: 'discord',
            channelId: message.channelId,
            messageId: message.id,
            url: ref.url,
            authorId: message.author.id,
          },
        }),
      );
      // A watched channel sees plenty of pictures without faces; staying quiet keeps it pleasant.
      if (outcome.faces.length === 0) {
        log.info('no faces found in a watched screenshot');
        continue;
      }
      await message.reply(tagReplyPayload(outcome));
      log.info(
        {
          faces: outcome.faces.map((f) => ({ faceId: f.faceId, label: f.label, confidence: +f.confidence.toFixed(3) })),
        },
        'tagged a watched screenshot',
      );
    } catch (error) {
      const { message: text, expected } = describeError(error);
      if (expected) log.info({ reason: text }, 'could not tag a watched screenshot');
      else log.error({ err: error }, 'tagging a watched screenshot failed');
      await message.reply({ content: text }).catch((replyError) => log.warn({ err: replyError }, 'could not reply'));
    }
  }
}
