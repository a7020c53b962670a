/**
 * The one place settings are read: the environment, then `.env` in the working directory (real
 * environment variables win). Validated with zod; `.env.example` documents every key. Adapters (the
 * bot, the CLI) read them here and hand the values to services and core.
 */
import path from 'node:path';
import dotenv from 'dotenv';
import cron from 'node-cron';
import { z } from 'zod';

// Loaded when this module is first imported (main.ts imports it first), so that modules which read
// process.env as they load, such as the logger's level, see values from .env too.
dotenv.config({ quiet: true });

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17–20 digits)');
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const optional = <T extends z.ZodTypeAny>(schema: T) => optionalText.pipe(schema.optional());
const positiveInt = (fallback: number) => optionalText.pipe(z.coerce.number().int().positive().default(fallback));

const dataSchema = z.object({
  IDOLTAG_DATA_DIR: optionalText.transform((dir) => path.resolve(dir ?? 'data')),
});

// --- Sharding (docs/scaling.md) ------------------------------------------------------------------
const shardingSchema = z.object({
  IDOLTAG_SHARDS: optionalText.pipe(
    z
      .union([z.literal('auto'), z.coerce.number().int().positive()], {
        errorMap: () => ({ message: 'must be auto or a number of shards' }),
      })
      .default('auto'),
  ),
  IDOLTAG_PROCESSES: positiveInt(1),
  IDOLTAG_SHARD_IDS: optional(
    z
      .string()
      .regex(/^\d+(\s*,\s*\d+)*$/, 'must list shard ids separated by commas, such as 0,1,2')
      .transform((ids) => [...new Set(ids.split(',').map(Number))].sort((a, b) => a - b)),
  ),
  IDOLTAG_SHARD_COUNT: optional(z.coerce.number().int().positive()),
});

/** A host's slice needs both its ids and the total, and every id below the total. */
function checkShardSlice(env: z.infer<typeof shardingSchema>, ctx: z.RefinementCtx): void {
  const { IDOLTAG_SHARD_IDS: ids, IDOLTAG_SHARD_COUNT: count } = env;
  if (ids && count === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['IDOLTAG_SHARD_COUNT'],
      message: 'is needed with IDOLTAG_SHARD_IDS: the total number of shards over every host',
    });
  }
  if (!ids && count !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['IDOLTAG_SHARD_IDS'],
      message: 'is needed with IDOLTAG_SHARD_COUNT: which of the shards this host runs',
    });
  }
  if (ids && count !== undefined && ids.some((id) => id >= count)) {
    ctx.addIssue({
      code: 'custom',
      path: ['IDOLTAG_SHARD_IDS'],
      message: `must be below IDOLTAG_SHARD_COUNT (${count}); shard ids start at 0`,
    });
  }
}

/**
 * Which gateway shards this host runs: `shards` "auto" (Discord's recommendation) or a count; or a
 * fixed slice (`ids` of `count`) when several hosts share the bot. `processes` > 1 runs them in
 * that many processes under discord.js's ShardingManager.
 */
export interface ShardSettings {
  shards: 'auto' | number;
  processes: number;
  slice?: { ids: number[]; count: number };
}

function shardSettings(raw: z.infer<typeof shardingSchema>): ShardSettings {
  return {
    shards: raw.IDOLTAG_SHARDS,
    processes: raw.IDOLTAG_PROCESSES,
    slice: raw.IDOLTAG_SHARD_IDS ? { ids: raw.IDOLTAG_SHARD_IDS, count: raw.IDOLTAG_SHARD_COUNT! } : undefined,
  };
}

const botSchema = dataSchema
  .extend({
    DISCORD_TOKEN: z
      .string({ required_error: 'is missing: paste your bot token from the Discord developer portal' })
      .trim()
      .min(1, 'is empty: paste your bot token from the Discord developer portal')
      .refine((token) => !/\s/.test(token), 'must not contain spaces'),
    DISCORD_APPLICATION_ID: optional(snowflake),
    DISCORD_DEV_GUILD_ID: optional(snowflake),
    DISCORD_API_URL: optional(z.string().url('must be a URL such as https://discord.com/api')),
    IDOLTAG_MAX_ATTACHMENT_BYTES: positiveInt(10 * 1024 * 1024),
    IDOLTAG_ATTACHMENT_TIMEOUT_MS: positiveInt(15_000),
    IDOLTAG_MAX_IMAGES_PER_MESSAGE: positiveInt(4),
    IDOLTAG_GALLERY_PAGE_SIZE: optionalText.pipe(z.coerce.number().int().min(1).max(10).default(5)),
    IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN: optional(
      z
        .string()
        .url()
        .refine((url) => /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url), 'may only name a loopback origin'),
    ),
  })
  .merge(shardingSchema)
  .superRefine(checkShardSlice);

export interface DataSettings {
  dataDir: string;
}

export interface BotSettings extends DataSettings {
  token: string;
  applicationId?: string;
  devGuildId?: string;
  /** Base of the REST API; only tests point it elsewhere. */
  apiUrl?: string;
  maxAttachmentBytes: number;
  attachmentTimeoutMs: number;
  maxImagesPerMessage: number;
  galleryPageSize: number;
  /** A loopback origin that may serve attachments besides Discord's CDN: tests only. */
  testAttachmentOrigin?: string;
  sharding: ShardSettings;
}

/** Settings are wrong or missing; `message` names each problem and how to fix it. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

function readEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env ?? process.env;
}

function parse<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.')} ${issue.message}`);
  throw new SettingsError(
    `Some settings need a look (set them in the environment or in .env; .env.example explains each):\n${lines.join('\n')}`,
  );
}

export function loadDataSettings(env?: NodeJS.ProcessEnv): DataSettings {
  return { dataDir: parse(dataSchema, readEnv(env)).IDOLTAG_DATA_DIR };
}

export function loadBotSettings(env?: NodeJS.ProcessEnv): BotSettings {
  const raw = parse(botSchema, readEnv(env));
  return {
    dataDir: raw.IDOLTAG_DATA_DIR,
    token: raw.DISCORD_TOKEN,
    applicationId: raw.DISCORD_APPLICATION_ID,
    devGuildId: raw.DISCORD_DEV_GUILD_ID,
    apiUrl: raw.DISCORD_API_URL?.replace(/\/+$/, ''),
    maxAttachmentBytes: raw.IDOLTAG_MAX_ATTACHMENT_BYTES,
    attachmentTimeoutMs: raw.IDOLTAG_ATTACHMENT_TIMEOUT_MS,
    maxImagesPerMessage: raw.IDOLTAG_MAX_IMAGES_PER_MESSAGE,
    galleryPageSize: raw.IDOLTAG_GALLERY_PAGE_SIZE,
    testAttachmentOrigin: raw.IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN?.replace(/\/+$/, ''),
    sharding: shardSettings(raw),
  };
}

// --- Models, inference, logging and the CLI (shared by the bot and the CLI) --------------------

const flag = optionalText.pipe(
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
      errorMap: () => ({ message: 'must be 1 or 0 (or true/false)' }),
    })
    .optional()
    .transform((value) => value !== undefined && ['1', 'true', 'yes', 'on'].includes(value)),
);
const device = (name: string) =>
  optionalText.pipe(
    z
      .enum(['auto', 'cpu', 'cuda'], { errorMap: () => ({ message: `must be auto, cpu or cuda (${name})` }) })
      .default('auto'),
  );
const folder = optionalText.transform((dir) => (dir === undefined ? undefined : path.resolve(dir)));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logLevel = optionalText.pipe(
  z.enum(LOG_LEVELS, { errorMap: () => ({ message: `must be one of ${LOG_LEVELS.join(', ')}` }) }).default('info'),
);

// auto: readable lines on a terminal, JSON lines (for log collectors) anywhere else
export const LOG_FORMATS = ['auto', 'json', 'text'] as const;
const logFormat = optionalText.pipe(
  z.enum(LOG_FORMATS, { errorMap: () => ({ message: `must be one of ${LOG_FORMATS.join(', ')}` }) }).default('auto'),
);

const runtimeSchema = dataSchema.extend({
  IDOLTAG_LOG_LEVEL: logLevel,
  IDOLTAG_LOG_FORMAT: logFormat,
  IDOLTAG_DEBUG: flag,
  IDOLTAG_OFFLINE: flag,
  IDOLTAG_DETECTOR: optional(
    z.string().regex(/^[a-z0-9_-]+(\+[a-z0-9_-]+)*$/, 'must be a detector name or a chain such as faceboxes+lbp'),
  ),
  IDOLTAG_DEVICE: device('the onnxruntime device'),
  IDOLTAG_THREADS: optional(
    z.coerce.number({ invalid_type_error: 'must be a whole number' }).int().positive('must be a positive whole number'),
  ),
  IDOLTAG_MODEL_CACHE: folder,
  IDOLTAG_MODEL_MIRROR: folder,
  IDOLTAG_PYTHON: optionalText,
  IDOLTAG_QUEUE_LIMIT: positiveInt(50),
});

export interface RuntimeSettings extends DataSettings {
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  /** Print stack traces of errors (the CLI). */
  debug: boolean;
  /** Never download models; use the cache and the mirror only. */
  offline: boolean;
  detector?: string;
  device: 'auto' | 'cpu' | 'cuda';
  threads?: number;
  modelCache?: string;
  modelMirror?: string;
  python?: string;
  queueLimit: number;
}

export function loadRuntimeSettings(env?: NodeJS.ProcessEnv): RuntimeSettings {
  const raw = parse(runtimeSchema, readEnv(env));
  return {
    dataDir: raw.IDOLTAG_DATA_DIR,
    logLevel: raw.IDOLTAG_LOG_LEVEL,
    logFormat: raw.IDOLTAG_LOG_FORMAT,
    debug: raw.IDOLTAG_DEBUG,
    offline: raw.IDOLTAG_OFFLINE,
    detector: raw.IDOLTAG_DETECTOR,
    device: raw.IDOLTAG_DEVICE,
    threads: raw.IDOLTAG_THREADS,
    modelCache: raw.IDOLTAG_MODEL_CACHE,
    modelMirror: raw.IDOLTAG_MODEL_MIRROR,
    python: raw.IDOLTAG_PYTHON,
    queueLimit: raw.IDOLTAG_QUEUE_LIMIT,
  };
}

/** Where model files come from: the cache, the mirror, and whether upstream may be reached. */
export function modelSources(runtime: RuntimeSettings): { cacheDir?: string; mirrorDir?: string; offline: boolean } {
  return { cacheDir: runtime.modelCache, mirrorDir: runtime.modelMirror, offline: runtime.offline };
}

/** What the services take from the settings: the adapters pass it to openServices. */
export function serviceOptions(runtime: RuntimeSettings): {
  dataDir: string;
  detector?: string;
  queueLimit: number;
  embedder: { device: RuntimeSettings['device']; threads?: number };
  models: ReturnType<typeof modelSources>;
  trainerPython?: string;
} {
  return {
    dataDir: runtime.dataDir,
    detector: runtime.detector,
    queueLimit: runtime.queueLimit,
    embedder: { device: runtime.device, threads: runtime.threads },
    models: modelSources(runtime),
    trainerPython: runtime.python,
  };
}

/** The log level alone, for the logger, which starts before anything can report a bad setting. */
export function logLevelSetting(env?: NodeJS.ProcessEnv): RuntimeSettings['logLevel'] {
  const parsed = z.object({ IDOLTAG_LOG_LEVEL: logLevel }).safeParse(readEnv(env));
  return parsed.success ? parsed.data.IDOLTAG_LOG_LEVEL : 'info';
}

/** The log format alone, for the same reason. */
export function logFormatSetting(env?: NodeJS.ProcessEnv): RuntimeSettings['logFormat'] {
  const parsed = z.object({ IDOLTAG_LOG_FORMAT: logFormat }).safeParse(readEnv(env));
  return parsed.success ? parsed.data.IDOLTAG_LOG_FORMAT : 'auto';
}

// --- Schedules (the bot's nightly head refit and periodic embedder training) -------------------
// IDOLTAG_BACKBONE_* keep the embedder's old name: settings are a public contract.

const cronExpression = (fallback: string) =>
  optionalText.pipe(
    z
      .string()
      .default(fallback)
      .refine(
        (expr) => expr === 'off' || cron.validate(expr),
        'must be a cron expression such as "30 4 * * *", or off',
      ),
  );

const scheduleSchema = z.object({
  IDOLTAG_HEAD_CRON: cronExpression('30 4 * * *'),
  IDOLTAG_BACKBONE_CRON: cronExpression('0 5 * * 0'),
  IDOLTAG_CRON_TZ: optional(
    z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris or Asia/Tokyo'),
  ),
  IDOLTAG_BACKBONE_MIN_NEW_LABELS: optionalText.pipe(
    z.coerce.number().int().nonnegative('must be 0 or more').default(200),
  ),
  IDOLTAG_BACKBONE_EPOCHS: optional(z.coerce.number().int().positive('must be a positive whole number')),
  IDOLTAG_TRAIN_DEVICE: device('the training device'),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface ScheduleSettings {
  /** Refit every guild's head (cheap; keeps heads in step with corrections made elsewhere); "off" stops it. */
  headCron: string;
  /** Try an embedder training; it only runs when enough new labels arrived; "off" stops it. */
  backboneCron: string;
  timezone?: string;
  backboneMinNewLabels: number;
  backboneEpochs?: number;
  device: 'auto' | 'cpu' | 'cuda';
}

export function loadScheduleSettings(env?: NodeJS.ProcessEnv): ScheduleSettings {
  const raw = parse(scheduleSchema, readEnv(env));
  return {
    headCron: raw.IDOLTAG_HEAD_CRON,
    backboneCron: raw.IDOLTAG_BACKBONE_CRON,
    timezone: raw.IDOLTAG_CRON_TZ,
    backboneMinNewLabels: raw.IDOLTAG_BACKBONE_MIN_NEW_LABELS,
    backboneEpochs: raw.IDOLTAG_BACKBONE_EPOCHS,
    device: raw.IDOLTAG_TRAIN_DEVICE,
  };
}
