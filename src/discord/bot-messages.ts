/**
 * Sentences the bot says in more than one place, each written once here. A sentence said in one
 * place stays beside the code that says it; the services' own sentences are in
 * src/services/user-messages.ts.
 */
export const botMessages = {
  notADiscordUpload: "I can only read pictures uploaded to Discord, and that link isn't one.",
  downloadFailed: (fileName: string) =>
    `I couldn't download **${fileName}** from Discord just now. Could you try again?`,
  otherServer: 'I can only look at messages from this server.',
  messageUnreadable: "I couldn't open that message. Is it in a channel I can see?",
  /** First contact: a server where nobody is taught and no roster pack is added (/watch add, an "unknown" reply). */
  howToStart:
    "🌱 I don't know anyone here yet! Add your games' characters with `/roster add`, or teach me one with `/teach`.",
  /** For whoever runs the bot: the login, the shard manager and deploy-commands all say it. */
  tokenRefused:
    'Discord did not accept DISCORD_TOKEN. Copy the bot token again from the developer portal (Bot → Reset Token).',
} as const;
