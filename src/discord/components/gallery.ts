/** ◀ ▶ on a gallery: the page to show is in the custom id, so old galleries keep paging. */
import type { MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import type { BotContext } from '../context.ts';
import type { ComponentState } from '../custom-ids.ts';
import { UserFacingError } from '../errors.ts';
import { buildGalleryPage } from '../views/gallery.ts';

export async function handleGalleryComponent(
  interaction: MessageComponentInteraction | ModalSubmitInteraction,
  state: Extract<ComponentState, { kind: 'gallery' }>,
  ctx: BotContext,
): Promise<void> {
  if (!interaction.isButton() || !interaction.guildId)
    throw new UserFacingError("That gallery button doesn't work here.");
  await interaction.deferUpdate();
  const page = await buildGalleryPage(ctx, interaction.guildId, state.character, state.page);
  // `attachments: []` drops the previous page's thumbnails; `files` brings this page's.
  await interaction.editReply({ ...page, attachments: [] });
}
