import type { BotSettings } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Services } from '../services/index.ts';

/** What every command and component handler gets besides the interaction. */
export interface BotContext {
  services: Services;
  settings: BotSettings;
  logger: Logger;
}
