/**
 * One page of a character's gallery: a thumbnail and a jump link per screenshot, confirmed ones
 * first, and ◀ ▶ buttons whose custom ids carry the page to show.
 */
import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type MessageActionRowComponentBuilder,
} from 'discord.js';
import type { BotContext } from '../context.ts';
import { galleryCustomId } from '../custom-ids.ts';
import { imageFileName } from '../tagging.ts';

export interface GalleryPagePayload {
  content: string;
  embeds: EmbedBuilder[];
  files: AttachmentBuilder[];
  components: ActionRowBuilder<MessageActionRowComponentBuilder>[];
}

const EMBED_COLOUR = 0xff74b8;

export async function buildGalleryPage(
  ctx: BotContext,
  guildId: string,
  character: string,
  requestedPage: number,
): Promise<GalleryPagePayload> {
  const pageSize = ctx.settings.galleryPageSize;
  const result = ctx.services.gallery.page({ guildId, character, page: requestedPage, pageSize });
  if (result.character === null) {
    return plain(`I don't know anyone called **${character}** yet. You can teach me with \`/teach\`!`);
  }
  if (result.total === 0) {
    return plain(
      `I haven't spotted **${result.character}** in any screenshots yet. Post one in a watched channel and I'll keep an eye out!`,
    );
  }
  // The services clamp the page, so an old button past the end shows the last page.
  const { page, pages } = result;
  const name = result.character;

  const embeds: EmbedBuilder[] = [];
  const files: AttachmentBuilder[] = [];
  for (const [i, item] of result.items.entries()) {
    const number = page * pageSize + i + 1;
    const sureness = item.confirmed ? '✅ confirmed by a producer' : `🔮 ${Math.round(item.confidence * 100)}% sure`;
    const link =
      item.channelId && item.messageId
        ? `https://discord.com/channels/${guildId}/${item.channelId}/${item.messageId}`
        : undefined;
    const embed = new EmbedBuilder()
      .setColor(EMBED_COLOUR)
      .setTitle(`#${number}`)
      .setDescription(`${sureness}\n${link ? `[Jump to the screenshot](${link})` : 'Taught from a file'}`);
    if (link) embed.setURL(link);
    const thumbnail = await ctx.services.gallery.thumbnail(guildId, item.imageId);
    if (thumbnail) {
      const fileName = imageFileName(`gallery-${item.imageId}`, thumbnail);
      files.push(new AttachmentBuilder(thumbnail, { name: fileName }));
      embed.setThumbnail(`attachment://${fileName}`);
    }
    embeds.push(embed);
  }

  const components =
    pages > 1
      ? [
          new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
            new ButtonBuilder()
              .setCustomId(galleryCustomId(Math.max(page - 1, 0), name))
              .setStyle(ButtonStyle.Secondary)
              .setEmoji('◀️')
              .setLabel('Previous')
              .setDisabled(page === 0),
            new ButtonBuilder()
              .setCustomId(galleryCustomId(Math.min(page + 1, pages - 1), name))
              .setStyle(ButtonStyle.Secondary)
              .setEmoji('▶️')
              .setLabel('Next')
              .setDisabled(page === pages - 1),
          ),
        ]
      : [];
  const shots = result.total === 1 ? '1 screenshot' : `${result.total} screenshots`;
  return {
    content: `📸 **${name}** appears in ${shots}${pages > 1 ? ` · page ${page + 1} of ${pages}` : ''}`,
    embeds,
    files,
    components,
  };
}

function plain(content: string): GalleryPagePayload {
  return { content, embeds: [], files: [], components: [] };
}
