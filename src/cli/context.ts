import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadRuntimeSettings, serviceOptions as settingsForServices } from '../config.ts';
import { openServices, type ServiceOptions, type Services } from '../services/index.ts';

export interface GlobalOptions {
  data?: string;
  guild?: string;
  detector?: string;
}

export function dataDir(options: GlobalOptions): string {
  return options.data ? path.resolve(options.data) : loadRuntimeSettings().dataDir;
}

export function guildOf(options: GlobalOptions): string {
  return options.guild ?? 'local';
}

/** Opens the services for one CLI command and always closes them, even on failure. */
export async function withServices<T>(
  options: GlobalOptions,
  fn: (services: Services) => Promise<T>,
  serviceOptions: Partial<ServiceOptions> = {},
): Promise<T> {
  const settings = settingsForServices(loadRuntimeSettings());
  const services = await openServices({
    ...settings,
    dataDir: dataDir(options),
    detector: options.detector ?? settings.detector,
    ...serviceOptions,
  });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** A progress bar on stderr when it is a terminal; silent otherwise so JSON on stdout stays clean. */
export function progress(total: number, label: string): { tick(): void; stop(): void } {
  if (!process.stderr.isTTY || total < 2) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
