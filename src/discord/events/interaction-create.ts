/**
 * Routes every interaction to its handler, and holds the error path for interactions: whatever a
 * handler throws ends here and becomes a short, friendly message for the person who asked.
 * Two answers are made elsewhere: screenshots in watched channels (events/message-create.ts, per
 * picture), and the outcome of a /train embedder run, which finishes after its interaction.
 */
import { MessageFlags, type Interaction, type RepliableInteraction } from 'discord.js';
import type { Command } from '../command-loader.ts';
import type { BotContext } from '../context.ts';
import { decodeCustomId } from '../custom-ids.ts';
import { describeError, UserFacingError } from '../errors.ts';
import { handleFaceComponent } from '../components/face.ts';
import { handleGalleryComponent } from '../components/gallery.ts';

export async function onInteractionCreate(
  interaction: Interaction,
  commands: Map<string, Command>,
  ctx: BotContext,
): Promise<void> {
  const started = Date.now();
  const route = interactionRoute(interaction);
  const log = ctx.logger.child({
    route,
    shardId: interaction.guild?.shardId,
    guildId: interaction.guildId,
    interactionId: interaction.id,
  });
  try {
    if (interaction.isAutocomplete()) {
      await commands.get(interaction.commandName)?.autocomplete?.(interaction, ctx);
      return;
    }
    if (!interaction.inGuild()) {
      if (interaction.isRepliable())
        throw new UserFacingError('I only work inside a server. Invite me to one and say hi there!');
      return;
    }
    if (interaction.isChatInputCommand()) {
      const command = commands.get(interaction.commandName);
      if (!command) throw new UserFacingError("I don't know that command anymore. It may have been renamed.");
      await command.execute(interaction, ctx);
    } else if (interaction.isMessageComponent() || interaction.isModalSubmit()) {
      const state = decodeCustomId(interaction.customId);
      if (state?.kind === 'face') await handleFaceComponent(interaction, state, ctx);
      else if (state?.kind === 'gallery') await handleGalleryComponent(interaction, state, ctx);
      else throw new UserFacingError('This button is from an older version of me and no longer works, sorry!');
    }
    log.info({ ms: Date.now() - started }, 'interaction handled');
  } catch (error) {
    if (interaction.isAutocomplete()) {
      log.warn({ err: error }, 'autocomplete failed');
      await interaction.respond([]).catch(() => undefined);
      return;
    }
    const { message, expected } = describeError(error);
    if (expected) log.info({ reason: message, ms: Date.now() - started }, 'interaction answered with a problem');
    else log.error({ err: error, ms: Date.now() - started }, 'interaction failed');
    if (interaction.isRepliable())
      await tellUser(interaction, message).catch((e) => log.warn({ err: e }, 'could not report the problem'));
  }
}

/**
 * Defer if not yet answered, then edit the reply. A component whose update was deferred has no
 * reply of its own (editing would overwrite the tagged screenshot), so it gets a private follow-up.
 */
async function tellUser(interaction: RepliableInteraction, message: string): Promise<void> {
  const onMessage = interaction.isMessageComponent() || (interaction.isModalSubmit() && interaction.isFromMessage());
  if (onMessage && (interaction.deferred || interaction.replied)) {
    await interaction.followUp({ content: message, flags: MessageFlags.Ephemeral });
    return;
  }
  if (!interaction.deferred && !interaction.replied) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await interaction.editReply({ content: message, embeds: [], components: [], files: [], attachments: [] });
}

function interactionRoute(interaction: Interaction): string {
  if (interaction.isCommand() || interaction.isAutocomplete()) return `/${interaction.commandName}`;
  if (interaction.isMessageComponent() || interaction.isModalSubmit())
    return interaction.customId.split(':').slice(0, 2).join(':');
  return `type ${(interaction as Interaction).type}`;
}
