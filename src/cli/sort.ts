import { copyFile, link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { guildOf, progress, withServices, type GlobalOptions } from './context.ts';
import { imageFiles } from '../core/labelled-files.ts';
import { gracefulStop, stoppedNote } from './shutdown.ts';
import { tagFile } from './tag.ts';

function folderName(label: string): string {
  return label.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').trim() || '_';
}

export function registerSort(program: Command): void {
  program
    .command('sort <inDir>')
    .description('copy (or hard-link) each screenshot into a folder per character it shows, plus unknown/ and no-face/')
    .requiredOption('--out <dir>', 'where the sorted folders go')
    .option('--link', 'hard-link instead of copying (same file system only)')
    .action(async (inDir: string, opts: { out: string; link?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const outDir = path.resolve(opts.out);
      if (outDir.startsWith(path.resolve(inDir) + path.sep))
        throw new Error('--out must not be inside the input folder');
      const files = imageFiles(inDir);
      const counts = new Map<string, number>();
      const stop = gracefulStop();
      let done = 0;
      await withServices(global, async (services) => {
        const bar = progress(files.length, 'sorting');
        for (const file of files) {
          if (stop.aborted) break;
          const { line } = await tagFile(services, guildOf(global), file);
          bar.tick();
          const folders = line.error
            ? ['error']
            : line.faces.length === 0
              ? ['no-face']
              : [...new Set(line.faces.map((f) => (f.label ? folderName(f.label) : 'unknown')))];
          for (const folder of folders) {
            const target = path.join(outDir, folder, path.relative(inDir, file).split(path.sep).join('__'));
            await mkdir(path.dirname(target), { recursive: true });
            if (opts.link) await link(file, target).catch(() => copyFile(file, target));
            else await copyFile(file, target);
            counts.set(folder, (counts.get(folder) ?? 0) + 1);
          }
          done++;
        }
        bar.stop();
      });
      const stopped = stoppedNote(done, files.length);
      if (stopped) console.error(stopped);
      for (const [folder, n] of [...counts].sort()) console.log(`${folder}/: ${n}`);
    });
}
