import path from 'node:path';
import type { Command } from 'commander';
import { dataDir, type GlobalOptions } from './context.ts';

/** `idoltag backup <file>`: a consistent copy of the database. */
export function registerBackup(program: Command): void {
  program
    .command('backup <file>')
    .description('write a consistent copy of the database (safe while the bot runs; see docs/backup.md)')
    .action(async (file: string, _opts, cmd: Command) => {
      const { backupDatabase } = await import('../services/backup.ts');
      const target = path.resolve(file);
      const pages = await backupDatabase(dataDir(cmd.optsWithGlobals<GlobalOptions>()), target);
      console.log(`Backed up the database (${pages} pages) to ${target}.`);
      console.log(
        'Now copy crops/, images/ and models/ from the data folder too (docs/backup.md); they only ever grow.',
      );
    });
}
