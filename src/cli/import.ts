import type { Command } from 'commander';
import { guildOf, progress, withServices, type GlobalOptions } from './context.ts';
import { labelledFiles } from '../core/labelled-files.ts';
import { gracefulStop, stoppedNote } from './shutdown.ts';

export function registerImport(program: Command): void {
  program
    .command('import <source>')
    .description('teach every image of an ImageFolder tree (<dir>/<character>/<image>) or a labels CSV')
    .option('--crops', 'the images are face crops: skip detection')
    .option('--split <name>', 'with a CSV: only rows whose split/orig_split column equals this')
    .option('--alias <old=new...>', 'store a label under another name (e.g. lijima_yun=iijima_yun)')
    .action(async (source: string, opts: { crops?: boolean; split?: string; alias?: string[] }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const aliases = new Map((opts.alias ?? []).map((a) => a.split('=', 2) as [string, string]));
      const byCharacter = new Map<string, string[]>();
      for (const file of labelledFiles(source, opts.split)) {
        const name = aliases.get(file.label) ?? file.label;
        byCharacter.set(name, [...(byCharacter.get(name) ?? []), file.path]);
      }
      const total = [...byCharacter.values()].reduce((n, f) => n + f.length, 0);
      if (total === 0) throw new Error(`No images found in ${source}`);
      const stop = gracefulStop();
      await withServices(global, async (services) => {
        const bar = progress(total, 'importing');
        let taught = 0;
        let duplicates = 0;
        let done = 0;
        const characters = new Set<string>();
        const failures: string[] = [];
        for (const [character, files] of byCharacter) {
          if (stop.aborted) break;
          await services.teaching.teachFiles({
            guildId: guildOf(global),
            character,
            files,
            by: 'cli',
            crops: opts.crops,
            signal: stop,
            onFile: (r) => {
              if (r.ok) taught++, characters.add(character);
              else if (r.duplicate) duplicates++, characters.add(character);
              else failures.push(`${r.name}: ${r.error}`);
              done++;
              bar.tick();
            },
          });
        }
        bar.stop();
        const stopped = stoppedNote(done, total);
        const refit = await services.heads.refit(guildOf(global));
        for (const f of failures) console.error(`skipped ${f}`);
        if (stopped) console.error(stopped);
        console.log(
          `Taught ${taught} faces of ${characters.size} characters (${failures.length} skipped` +
            `${duplicates ? `, ${duplicates} already taught` : ''}); ` +
            `head v${refit.headVersion} fit on ${refit.faces} faces in ${refit.fitMs.toFixed(0)} ms.`,
        );
      });
    });
}
