import type { Command } from 'commander';
import { guildOf, withServices, type GlobalOptions } from './context.ts';

/** `idoltag characters`: the taught characters of a guild with their face counts. */
export function registerCharacters(program: Command): void {
  program
    .command('characters')
    .description('list the taught characters with their face counts')
    .action(async (_opts, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(
        global,
        async (services) => {
          const list = services.characters.list(guildOf(global));
          if (list.length === 0) console.log('No characters taught yet. Try: idoltag import <folder>');
          for (const c of list) console.log(`${c.name}\t${c.faces}`);
        },
        { refitStaleHeads: false },
      );
    });
}
