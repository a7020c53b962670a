/** Checks at run time what a command's default permissions only suggest: a server may grant any command to anyone. */
import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from './errors.ts';

/** Throws a friendly refusal unless the member may manage the server (Discord's "Manage Server"). */
export function requireManageServer(interaction: ChatInputCommandInteraction, what: string): void {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return;
  throw new UserFacingError(`Only members who can **Manage Server** can ${what}.`);
}
