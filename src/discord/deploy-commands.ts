/**
 * `npm run deploy-commands`: registers the slash commands in commands/ with Discord: in one guild
 * when DISCORD_DEV_GUILD_ID is set (instant, for development), otherwise globally.
 */
import { REST, Routes, type APIApplication } from 'discord.js';
import { loadBotSettings, SettingsError } from '../config.ts';
import { botMessages } from './bot-messages.ts';
import { loadCommands } from './command-loader.ts';

try {
  const settings = loadBotSettings();
  const commands = [...(await loadCommands()).values()].map((c) => c.data.toJSON());
  const rest = new REST(settings.apiUrl ? { api: settings.apiUrl } : {}).setToken(settings.token);
  const applicationId = settings.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  const names = commands.map((c) => `/${c.name}`).join(' ');
  if (settings.devGuildId) {
    await rest.put(Routes.applicationGuildCommands(applicationId, settings.devGuildId), { body: commands });
    console.log(`Registered ${commands.length} commands in guild ${settings.devGuildId}: ${names}`);
  } else {
    await rest.put(Routes.applicationCommands(applicationId), { body: commands });
    console.log(`Registered ${commands.length} commands globally: ${names} (they may take a few minutes to show up).`);
  }
} catch (error) {
  const status = (error as { status?: number }).status;
  process.stderr.write(
    `idoltag: ${
      error instanceof SettingsError
        ? error.message
        : status === 401
          ? botMessages.tokenRefused
          : `could not register the commands: ${(error as Error).message}`
    }\n`,
  );
  process.exit(1);
}
