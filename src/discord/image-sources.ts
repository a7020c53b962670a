/**
 * The one place that finds "the images the user means": attachments of a posted message, the
 * attachment options of a slash command, or the attachments of a message the user linked to.
 */
import type { Attachment, ChatInputCommandInteraction, Client, Message } from 'discord.js';
import type { AttachmentRef } from './attachments.ts';
import { botMessages } from './bot-messages.ts';
import { UserFacingError } from './errors.ts';

export function refOf(attachment: Attachment): AttachmentRef {
  return { url: attachment.url, name: attachment.name, size: attachment.size, contentType: attachment.contentType };
}

export function attachmentsOfMessage(message: Message): AttachmentRef[] {
  return [...message.attachments.values()].map(refOf);
}

/** The attachment options of a command, in option order (image, image2 … image10). */
export function attachmentOptions(interaction: ChatInputCommandInteraction, names: readonly string[]): AttachmentRef[] {
  return names.flatMap((name) => {
    const attachment = interaction.options.getAttachment(name);
    return attachment ? [refOf(attachment)] : [];
  });
}

export interface MessageLink {
  guildId: string;
  channelId: string;
  messageId: string;
}

export function parseMessageLink(link: string): MessageLink | undefined {
  const match = link
    .trim()
    .match(
      /^<?https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/channels\/(\d{17,20})\/(\d{17,20})\/(\d{17,20})>?$/,
    );
  return match ? { guildId: match[1], channelId: match[2], messageId: match[3] } : undefined;
}

/** The message a link points at; only messages of the same server, in channels the bot can read. */
export async function fetchLinkedMessage(client: Client, link: string, guildId: string): Promise<Message> {
  const parsed = parseMessageLink(link);
  if (!parsed) {
    throw new UserFacingError(
      "That doesn't look like a message link. Right-click a message → **Copy Message Link** and paste it here!",
    );
  }
  if (parsed.guildId !== guildId) throw new UserFacingError(botMessages.otherServer);
  let channel;
  try {
    channel = await client.channels.fetch(parsed.channelId);
  } catch {
    throw new UserFacingError(botMessages.messageUnreadable);
  }
  // The link's own guild id is just text: the channel it names must really be in this server.
  if (!channel || !('guildId' in channel) || channel.guildId !== guildId) {
    throw new UserFacingError(botMessages.otherServer);
  }
  try {
    if (!channel.isTextBased() || !('messages' in channel)) throw new Error('not a text channel');
    return await channel.messages.fetch(parsed.messageId);
  } catch {
    throw new UserFacingError(botMessages.messageUnreadable);
  }
}
