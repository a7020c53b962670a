import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';
import type { Services } from '../services/index.ts';

export interface ScheduleConfig {
  /** Refit every guild's head (cheap; keeps heads in step with corrections made elsewhere). */
  headCron: string;
  /** Try a backbone training; it only runs when enough new labels arrived. */
  backboneCron: string;
  timezone?: string;
  backboneMinNewLabels: number;
  backboneEpochs?: number;
  device?: 'auto' | 'cpu' | 'cuda';
}

export const DEFAULT_SCHEDULES: ScheduleConfig = {
  headCron: '30 4 * * *',
  backboneCron: '0 5 * * 0',
  backboneMinNewLabels: 200,
};

export function scheduleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ScheduleConfig {
  const config: ScheduleConfig = {
    headCron: env.IDOLTAG_HEAD_CRON ?? DEFAULT_SCHEDULES.headCron,
    backboneCron: env.IDOLTAG_BACKBONE_CRON ?? DEFAULT_SCHEDULES.backboneCron,
    timezone: env.IDOLTAG_CRON_TZ || undefined,
    backboneMinNewLabels: Number(env.IDOLTAG_BACKBONE_MIN_NEW_LABELS ?? DEFAULT_SCHEDULES.backboneMinNewLabels),
    backboneEpochs: env.IDOLTAG_BACKBONE_EPOCHS ? Number(env.IDOLTAG_BACKBONE_EPOCHS) : undefined,
    device: (env.IDOLTAG_TRAIN_DEVICE as ScheduleConfig['device']) ?? 'auto',
  };
  for (const [name, expr] of [['IDOLTAG_HEAD_CRON', config.headCron], ['IDOLTAG_BACKBONE_CRON', config.backboneCron]]) {
    if (expr !== 'off' && !cron.validate(expr)) throw new Error(`${name} is not a valid cron expression: "${expr}"`);
  }
  return config;
}

export async function refitAllHeads(services: Services, logger: Logger): Promise<void> {
  for (const guild of services.store.heads.guilds()) {
    try {
      await services.heads.refitAsTrainingRun(guild);
    } catch (err) {
      logger.error({ err, guild }, 'nightly head refit failed');
    }
  }
}

/** Starts the nightly head refit and the periodic backbone training; returns a stop function. */
export function startSchedules(services: Services, config: ScheduleConfig, logger: Logger): () => Promise<void> {
  const tasks: ScheduledTask[] = [];
  const options = { timezone: config.timezone, noOverlap: true };
  if (config.headCron !== 'off') {
    tasks.push(cron.schedule(config.headCron, () => refitAllHeads(services, logger), { ...options, name: 'head-refit' }));
  }
  if (config.backboneCron !== 'off') {
    tasks.push(
      cron.schedule(
        config.backboneCron,
        async () => {
          const outcome = await services.training.backbone({
            minNewLabels: config.backboneMinNewLabels,
            epochs: config.backboneEpochs,
            device: config.device,
          });
          logger.info({ status: outcome.status, reason: outcome.reason, version: outcome.version }, 'scheduled backbone training');
        },
        { ...options, name: 'backbone-training' },
      ),
    );
  }
  logger.info({ head: config.headCron, backbone: config.backboneCron, timezone: config.timezone ?? 'local' }, 'training schedules started');
  return async () => {
    for (const task of tasks) await task.stop();
  };
}
