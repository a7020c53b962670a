/**
 * Loads every module in commands/ and keeps it only if it has the shape of a command. A module that
 * doesn't is a programming error: the loader throws and the bot refuses to start.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { z } from 'zod';
import type { BotContext } from './context.ts';

export interface Command {
  /** The definition users see (a SlashCommandBuilder). */
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
}

const commandSchema = z.object({
  data: z.object({ name: z.string().regex(/^[-_a-z0-9]{1,32}$/), toJSON: z.function() }),
  execute: z.function(),
  autocomplete: z.function().optional(),
});

export const COMMANDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../commands');

export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, Command>> {
  const files = (await readdir(dir)).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')).sort();
  const commands = new Map<string, Command>();
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: unknown };
    const parsed = commandSchema.safeParse(module.default);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(module)'}: ${i.message}`).join('; ');
      throw new Error(`commands/${file} is not a valid command (export default { data, execute }): ${problems}`);
    }
    const command = module.default as Command;
    if (commands.has(command.data.name)) throw new Error(`commands/${file} defines /${command.data.name} twice`);
    commands.set(command.data.name, command);
  }
  if (commands.size === 0) throw new Error(`no commands found in ${dir}`);
  return commands;
}
