import pino from 'pino';
import { logLevelSetting } from './config.ts';

const SECRET_KEYS = ['token', 'DISCORD_TOKEN', 'authorization', 'headers.authorization', '*.token', '*.authorization'];

/** The one logger. Secrets are redacted by key; nothing should log them in the first place. */
/** Secret values from the environment, scrubbed from every line whatever key or message carries them. */
function secretValues(): string[] {
  return [process.env.DISCORD_TOKEN].filter((v): v is string => !!v && v.length >= 8);
}

/** What every line says about where it comes from: the gateway shards (or the manager) of this process. */
let processBindings: Record<string, unknown> = {};

/** Called once the process knows its shards; every later line carries them. */
export function setProcessBindings(bindings: Record<string, unknown>): void {
  processBindings = bindings;
}

/** Logs go to stderr so that the CLI's stdout (e.g. `tag --json`) stays machine-readable. */
export const logger = pino(
  {
    level: logLevelSetting(),
    redact: { paths: SECRET_KEYS, censor: '[redacted]' },
    base: undefined,
    // A fresh object each time: pino merges the line's own fields into what mixin returns.
    mixin: () => ({ ...processBindings }),
    hooks: {
      streamWrite(line) {
        let out = line;
        for (const secret of secretValues()) out = out.split(secret).join('[redacted]');
        return out;
      },
    },
  },
  pino.destination(2),
);

export type Logger = typeof logger;
