import { Command } from 'commander';
import { resolveVersionName } from '../services/embedder-registry.ts';
import { withServices, type GlobalOptions } from './context.ts';

export function registerEmbedder(program: Command): void {
  program.addCommand(embedderVersionsCommand('embedder'));
  // `model` was this group's name, one letter from `models` (the files); kept for scripts, out of the help.
  program.addCommand(embedderVersionsCommand('model'), { hidden: true });
}

/** `idoltag embedder list|activate`: the embedder versions (not the model files of `idoltag models`). */
function embedderVersionsCommand(name: string): Command {
  const group = new Command(name).description('embedder versions: list them, choose the one in service');
  group
    .command('list')
    .description('list embedder versions; * marks the one in service')
    .action(async (_opts, cmd: Command) => {
      await withServices(
        cmd.optsWithGlobals<GlobalOptions>(),
        async (services) => {
          for (const version of services.embedders.versions()) {
            const metrics = version.heldOut
              ? `\theld-out MAP@R ${version.heldOut.mapAtR.toFixed(3)}, recall@1 ${version.heldOut.recallAt1.toFixed(3)}`
              : '';
            const shipped =
              version.shipped === 'default' ? '\t(shipped default)' : version.shipped ? '\t(shipped)' : '';
            console.log(`${version.active ? '*' : ' '} ${version.id}\t${version.createdAt}${shipped}${metrics}`);
          }
        },
        { refitStaleHeads: false },
      );
    });
  group
    .command('activate <version>')
    .description('serve another embedder version (re-embeds faces that lack it, refits heads); also: default, imagenet')
    .action(async (name: string, _opts, cmd: Command) => {
      await withServices(cmd.optsWithGlobals<GlobalOptions>(), async (services) => {
        const version = resolveVersionName(name);
        await services.activateEmbedder(version);
        console.log(`Now serving ${version}.`);
      });
    });
  return group;
}
