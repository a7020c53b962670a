/**
 * Tagging one screenshot: download, name the faces through the services queue, draw the preview,
 * and build the reply. Shared by watched channels and /tag.
 */
import { AttachmentBuilder, type BaseMessageOptions, type TextBasedChannel } from 'discord.js';
import { sniffImageType } from '../core/decode.ts';
import type { ImageSource } from '../services/index.ts';
import { downloadAttachment, type AttachmentRef } from './attachments.ts';
import { botMessages } from './bot-messages.ts';
import type { BotContext } from './context.ts';
import { facesToShow, tagReplyComponents, tagReplyContent, type FaceSummary } from './views/tag-reply.ts';

export interface TagOutcome {
  faces: FaceSummary[];
  hiddenFaces: number;
  preview?: Buffer;
  /** Every face is unknown because the server knows nobody yet: the reply says how to start. */
  blankServer?: boolean;
}

export const NO_FACES_MESSAGE =
  "I looked closely but couldn't find any faces in this picture. 🤔 Close-ups and clear shots work best!";

export async function tagAttachment(
  ctx: BotContext,
  req: { guildId: string; ref: AttachmentRef; source: ImageSource },
): Promise<TagOutcome> {
  const bytes = await downloadAttachment(req.ref, {
    maxBytes: ctx.settings.maxAttachmentBytes,
    timeoutMs: ctx.settings.attachmentTimeoutMs,
    testOrigin: ctx.settings.testAttachmentOrigin,
  });
  const result = await ctx.services.tagging.tagImage({
    guildId: req.guildId,
    bytes,
    fileName: req.ref.name,
    source: req.source,
  });
  if (result.faces.length === 0) return { faces: [], hiddenFaces: 0 };
  const shown = facesToShow(result.faces);
  // The preview numbers its boxes in the order given: the same order as the list in the reply.
  const preview = await ctx.services.preview.render(bytes, shown);
  const blankServer = result.faces.every((f) => !f.label) && ctx.services.characters.isBlank(req.guildId);
  return { faces: shown, hiddenFaces: result.faces.length - shown.length, preview, blankServer };
}

/** The message for a tagged screenshot: names, the preview and the correction controls. */
export function tagReplyPayload(outcome: TagOutcome): BaseMessageOptions {
  if (outcome.faces.length === 0) return { content: NO_FACES_MESSAGE, components: [] };
  return {
    content: tagReplyContent(
      outcome.faces,
      outcome.hiddenFaces,
      outcome.blankServer ? `-# ${botMessages.howToStart}` : undefined,
    ),
    files: outcome.preview
      ? [new AttachmentBuilder(outcome.preview, { name: imageFileName('idoltag-preview', outcome.preview) })]
      : [],
    components: tagReplyComponents(outcome.faces),
  };
}

/** Shows "idoltag is typing…" until `work` settles (Discord drops the indicator after ~10 s). */
export async function whileTyping<T>(channel: TextBasedChannel, work: () => Promise<T>): Promise<T> {
  const type = () => ('sendTyping' in channel ? channel.sendTyping().catch(() => undefined) : undefined);
  void type();
  const timer = setInterval(type, 8_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A file name whose extension matches the bytes, so Discord shows the image inline. */
export function imageFileName(stem: string, bytes: Buffer): string {
  const type = sniffImageType(bytes);
  return `${stem}.${type === 'jpeg' ? 'jpg' : (type ?? 'png')}`;
}
