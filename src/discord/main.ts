/**
 * `npm start`: the idoltag Discord bot. Reads settings (environment, then .env), opens the
 * services (database, models), loads commands/ and logs in. Ctrl-C or SIGTERM shut it down cleanly.
 */
// config.ts first: it loads .env before the logger reads its level.
import {
  loadBotSettings,
  loadRuntimeSettings,
  loadScheduleSettings,
  serviceOptions,
  SettingsError,
  type BotSettings,
  type RuntimeSettings,
  type ScheduleSettings,
} from '../config.ts';
import { logger } from '../log.ts';
import { startSchedules } from '../jobs/schedules.ts';
import { openServices } from '../services/index.ts';
import { createClient, wireEvents } from './client.ts';
import { loadCommands } from './command-loader.ts';

function fail(message: string): never {
  process.stderr.write(`idoltag: ${message}\n`);
  process.exit(1);
}

let settings: BotSettings;
let runtime: RuntimeSettings;
let schedules: ScheduleSettings;
try {
  settings = loadBotSettings();
  runtime = loadRuntimeSettings();
  schedules = loadScheduleSettings();
} catch (error) {
  if (error instanceof SettingsError) fail(error.message);
  throw error;
}

const commands = await loadCommands();
const services = await openServices({ ...serviceOptions(runtime), dataDir: settings.dataDir, logger });
const client = createClient(settings);
const events = wireEvents(client, commands, { services, settings, logger });
const stopSchedules = startSchedules(services, schedules, logger);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // Finish the pictures already being looked at (and their replies) before disconnecting.
  await stopSchedules().catch(() => undefined);
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
  await services.close().catch(() => undefined);
  fail(
    code === 'TokenInvalid'
      ? 'Discord did not accept DISCORD_TOKEN. Copy the bot token again from the developer portal (Bot → Reset Token).'
      : code === 'DisallowedIntents'
        ? 'Discord refused the Message Content intent. Turn on "Message Content Intent" under Bot → Privileged Gateway Intents in the developer portal.'
        : `could not connect to Discord: ${(error as Error).message}`,
  );
}
