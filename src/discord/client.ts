/** The discord.js client and the wiring of its events to handlers. */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { BotSettings } from '../config.ts';
import type { Command } from './command-loader.ts';
import { clientShardOptions } from './sharding.ts';
import type { BotContext } from './context.ts';
import { onInteractionCreate } from './events/interaction-create.ts';
import { onMessageCreate } from './events/message-create.ts';

export function createClient(settings: BotSettings): Client {
  return new Client({
    // MessageContent is a privileged intent: without it, posted messages arrive without attachments.
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    allowedMentions: { parse: [], repliedUser: false },
    // 'auto' by default: every shard Discord recommends, so the bot keeps working past 2,500 servers.
    ...clientShardOptions(settings.sharding),
    ...(settings.apiUrl ? { rest: { api: settings.apiUrl } } : {}),
  });
}

/** Wires the handlers; `drain()` stops taking new work and waits for what is in flight (on shutdown). */
export function wireEvents(
  client: Client,
  commands: Map<string, Command>,
  ctx: BotContext,
): { drain(timeoutMs: number): Promise<void> } {
  const { logger } = ctx;
  const inFlight = new Set<Promise<void>>();
  let draining = false;
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  client.once(Events.ClientReady, (ready) => {
    logger.info(
      { user: ready.user.tag, guilds: ready.guilds.cache.size, commands: [...commands.keys()] },
      'idoltag is online',
    );
  });
  client.on(Events.MessageCreate, (message) => {
    if (draining) return;
    track(onMessageCreate(message, ctx).catch((err) => logger.error({ err }, 'message handler crashed')));
  });
  client.on(Events.InteractionCreate, (interaction) => {
    if (draining) return;
    track(
      onInteractionCreate(interaction, commands, ctx).catch((err) =>
        logger.error({ err }, 'interaction handler crashed'),
      ),
    );
  });
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));
  client.on(Events.ShardReady, (shardId, unavailable) =>
    logger.info({ shardId, unavailableGuilds: unavailable?.size ?? 0 }, 'shard ready'),
  );
  client.on(Events.ShardDisconnect, (event, shardId) =>
    logger.warn({ code: event.code, shardId }, 'gateway disconnected'),
  );
  client.rest.on('rateLimited', (info) =>
    logger.warn({ route: info.route, retryAfter: info.retryAfter }, 'rate limited'),
  );
  return {
    async drain(timeoutMs) {
      draining = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.allSettled([...inFlight]), timeout]);
      clearTimeout(timer);
    },
  };
}
