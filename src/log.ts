import pino from 'pino';

const SECRET_KEYS = ['token', 'DISCORD_TOKEN', 'authorization', 'headers.authorization', '*.token', '*.authorization'];

/** The one logger. Secrets are redacted by key; nothing should log them in the first place. */
/** Logs go to stderr so that the CLI's stdout (e.g. `tag --json`) stays machine-readable. */
export const logger = pino(
  {
    level: process.env.IDOLTAG_LOG_LEVEL ?? 'info',
    redact: { paths: SECRET_KEYS, censor: '[redacted]' },
    base: undefined,
  },
  pino.destination(2),
);

export type Logger = typeof logger;
