import type { Command } from 'commander';
import { withServices, type GlobalOptions } from './context.ts';

export function registerGuild(program: Command): void {
  const guild = program.command('guild').description('move one guild (server) to another host');
  guild
    .command('export <guild> <file>')
    .description('write every face, crop, screenshot, label and head of one guild to a file (safe while the bot runs)')
    .action(async (guildId: string, file: string, _opts, cmd: Command) => {
      await withServices(
        cmd.optsWithGlobals<GlobalOptions>(),
        async (services) => {
          const counts = services.guildTransfer.exportGuild(guildId, file);
          console.log(
            `Exported guild ${guildId}: ${counts.characters} characters, ${counts.faces} faces, ${counts.labels} labels, ${counts.heads} head versions, ${counts.files} files → ${file}`,
          );
        },
        { refitStaleHeads: false },
      );
    });
  guild
    .command('import <file>')
    .description('bring in a guild written by `guild export` (only into a data folder that has none of it)')
    .action(async (file: string, _opts, cmd: Command) => {
      await withServices(cmd.optsWithGlobals<GlobalOptions>(), async (services) => {
        const done = await services.guildTransfer.importGuild(file);
        console.log(
          `Imported guild ${done.guildId}: ${done.characters} characters, ${done.faces} faces, ${done.labels} labels, ${done.heads} head versions, ${done.files} files` +
            (done.reembedded > 0 ? `; re-embedded ${done.reembedded} faces with the model in service here` : '') +
            (done.headVersion !== null ? `; head v${done.headVersion} in service.` : '.'),
        );
      });
    });
}
