import pino from 'pino';
import { logFormatSetting, logLevelSetting } from './config.ts';

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

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s="]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * One JSON log line as a person reads it: time, level, message, then the fields as key=value; an error's
 * stack on the lines below. A line that is not JSON is kept as it is.
 */
export function readableLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json;
  }
  if (!entry || typeof entry !== 'object') return json;
  const { time, level, msg, err, ...fields } = entry;
  const clock = typeof time === 'number' ? new Date(time).toTimeString().slice(0, 8) : '';
  const name = (typeof level === 'number' ? pino.levels.labels[level] : undefined) ?? String(level ?? '');
  const parts = [clock, name.toUpperCase().padEnd(5), msg === undefined ? '' : String(msg)];
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${fieldValue(value)}`);
  let line = parts.filter(Boolean).join(' ');
  if (err && typeof err === 'object') {
    const { message, stack } = err as { message?: unknown; stack?: unknown };
    line += typeof stack === 'string' ? `\n    ${stack.split('\n').join('\n    ')}` : ` err=${fieldValue(message)}`;
  } else if (err !== undefined) line += ` err=${fieldValue(err)}`;
  return `${line}\n`;
}

function readableOnStderr(): boolean {
  const format = logFormatSetting();
  return format === 'text' || (format === 'auto' && process.stderr.isTTY === true);
}

/**
 * Logs go to stderr so that the CLI's stdout (e.g. `tag --json`) stays machine-readable: JSON lines, or readable
 * lines on a terminal (IDOLTAG_LOG_FORMAT).
 */
const readable = readableOnStderr();
export const logger = pino(
  {
    level: logLevelSetting(),
    redact: { paths: SECRET_KEYS, censor: '[redacted]' },
    base: undefined,
    // A fresh object each time: pino merges the line's own fields into what mixin returns.
    mixin: () => ({ ...processBindings }),
    hooks: {
      streamWrite(line) {
        let out = readable ? readableLine(line) : line;
        for (const secret of secretValues()) out = out.split(secret).join('[redacted]');
        return out;
      },
    },
  },
  pino.destination(2),
);

export type Logger = typeof logger;
