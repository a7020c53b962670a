/**
 * `npm start`: the idoltag Discord bot. Reads settings (environment, then .env), then runs the bot
 * in this process, or, with IDOLTAG_PROCESSES > 1, a ShardingManager that runs it in several.
 * Ctrl-C or SIGTERM shut it down cleanly.
 */
// config.ts first: it loads .env before the logger reads its level.
import {
  loadBotSettings,
  loadRuntimeSettings,
  loadScheduleSettings,
  SettingsError,
  type BotSettings,
  type RuntimeSettings,
  type ScheduleSettings,
} from '../config.ts';
import { logger, setProcessBindings } from '../log.ts';
import { botMessages } from './bot-messages.ts';

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

// A process forked by the manager runs the bot whatever IDOLTAG_PROCESSES it inherited.
if (settings.sharding.processes > 1 && !process.env.SHARDING_MANAGER) {
  setProcessBindings({ role: 'shard-manager' });
  const { startShardManager } = await import('./shard-manager.ts');
  const manager = await startShardManager(settings, logger).catch((error: Error & { status?: number }) =>
    fail(error.status === 401 ? botMessages.tokenRefused : `could not start the shard processes: ${error.message}`),
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping every shard process');
    await manager.stop(30_000);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} else {
  const { runBot } = await import('./bot.ts');
  await runBot({ settings, runtime, schedules }, fail);
}
