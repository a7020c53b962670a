import cron, { type ScheduledTask } from 'node-cron';
import type { ScheduleSettings } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Services } from '../services/index.ts';

/** When the schedules run: read and checked in src/config.ts (IDOLTAG_HEAD_CRON and friends). */
export type ScheduleConfig = ScheduleSettings;

export async function refitAllHeads(services: Services, logger: Logger): Promise<void> {
  for (const guild of services.heads.guilds()) {
    try {
      await services.heads.refitAsTrainingRun(guild);
    } catch (err) {
      logger.error({ err, guild }, 'nightly head refit failed');
    }
  }
}

/** Starts the nightly head refit and the periodic embedder training; returns a stop function. */
export function startSchedules(services: Services, config: ScheduleConfig, logger: Logger): () => Promise<void> {
  const tasks: ScheduledTask[] = [];
  const options = { timezone: config.timezone, noOverlap: true };
  if (config.headCron !== 'off') {
    tasks.push(
      cron.schedule(config.headCron, () => refitAllHeads(services, logger), { ...options, name: 'head-refit' }),
    );
  }
  if (config.backboneCron !== 'off') {
    tasks.push(
      cron.schedule(
        config.backboneCron,
        async () => {
          const outcome = await services.training.embedder({
            minNewLabels: config.backboneMinNewLabels,
            epochs: config.backboneEpochs,
            device: config.device,
          });
          logger.info(
            { status: outcome.status, reason: outcome.reason, version: outcome.version },
            'scheduled embedder training',
          );
        },
        { ...options, name: 'backbone-training' },
      ),
    );
  }
  logger.info(
    { head: config.headCron, backbone: config.backboneCron, timezone: config.timezone ?? 'local' },
    'training schedules started',
  );
  return async () => {
    for (const task of tasks) await task.stop();
  };
}
