/**
 * One bot process: opens the services (database, models), loads commands/ and connects its
 * gateway shards (all that Discord recommends, a count, or this host's or process's slice).
 * Schedules run in whichever process of the data folder holds the "schedules" lease.
 */
import { Events } from 'discord.js';
import { serviceOptions, type BotSettings, type RuntimeSettings, type ScheduleSettings } from '../config.ts';
import { startSchedules } from '../jobs/schedules.ts';
import { logger, setProcessBindings } from '../log.ts';
import { openServices } from '../services/index.ts';
import { botMessages } from './bot-messages.ts';
import { createClient, wireEvents } from './client.ts';
import { loadCommands } from './command-loader.ts';
import { publishQueueLength } from './fleet.ts';

/** Shard ids as every log line shows them; `process` is the ShardingManager's index, when under it. */
function bindShards(shards: number[] | 'auto'): void {
  const managed = process.env.SHARDING_MANAGER ? { process: Number(process.env.SHARDS) } : {};
  setProcessBindings({ ...managed, shards });
}

export async function runBot(
  { settings, runtime, schedules }: { settings: BotSettings; runtime: RuntimeSettings; schedules: ScheduleSettings },
  fail: (message: string) => never,
): Promise<void> {
  bindShards(settings.sharding.slice?.ids ?? 'auto');
  const commands = await loadCommands();
  const services = await openServices({ ...serviceOptions(runtime), dataDir: settings.dataDir, logger });
  const client = createClient(settings);
  publishQueueLength(client, services.queue);
  client.once(Events.ClientReady, () => bindShards([...client.ws.shards.keys()].sort((a, b) => a - b)));
  const events = wireEvents(client, commands, { services, settings, logger });
  const leadership = services.followLeadership('schedules', () => startSchedules(services, schedules, logger), {
    logger,
  });

  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Finish the pictures already being looked at (and their replies) before disconnecting.
    await leadership.stop().catch(() => undefined);
    await events.drain(20_000);
    await client.destroy().catch((err) => logger.warn({ err }, 'could not close the gateway cleanly'));
    await services.close().catch((err) => logger.warn({ err }, 'could not close the services cleanly'));
    process.exit(0);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await client.login(settings.token);
  } catch (error) {
    const code = (error as { code?: string }).code;
    await leadership.stop().catch(() => undefined);
    await services.close().catch(() => undefined);
    fail(
      code === 'TokenInvalid'
        ? botMessages.tokenRefused
        : code === 'DisallowedIntents'
          ? 'Discord refused the Message Content intent. Turn on "Message Content Intent" under Bot → Privileged Gateway Intents in the developer portal.'
          : `could not connect to Discord: ${(error as Error).message}`,
    );
  }
}
