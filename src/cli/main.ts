import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadRuntimeSettings, SettingsError } from '../config.ts';
import { ModelUnavailableError } from '../core/models/cache.ts';
import { registerBackup } from './backup.ts';
import { registerCharacters } from './characters.ts';
import { registerEmbedder } from './embedder.ts';
import { registerImport } from './import.ts';
import { registerModelFiles } from './model-files.ts';
import { registerRoster } from './roster.ts';
import { registerSort } from './sort.ts';
import { installSignalHandlers } from './shutdown.ts';
import { registerTag } from './tag.ts';
import { registerTrain } from './train.ts';

installSignalHandlers();

let debug = false;
try {
  debug = loadRuntimeSettings().debug;
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.error(`idoltag: ${err.message}`);
  process.exit(1);
}

const packageJson = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
const { version } = JSON.parse(packageJson) as { version: string };
const program = new Command('idoltag')
  .description('Names the characters in game screenshots.')
  .version(version, '-V, --version', 'print the version')
  .option('--data <dir>', 'data folder (default ./data or IDOLTAG_DATA_DIR)')
  .option('--guild <id>', 'which guild (server) to work on', 'local')
  .option('--detector <name>', 'face detector or chain, e.g. faceboxes+lbp (default: the measured best)')
  .showHelpAfterError();

registerImport(program);
registerTag(program);
registerSort(program);
registerCharacters(program);
registerRoster(program);
registerModelFiles(program);
registerEmbedder(program);
registerTrain(program);
registerBackup(program);
(await import('./eval.ts')).registerEval(program);
(await import('./unknowns.ts')).registerUnknowns(program);
(await import('./map.ts')).registerMap(program);
(await import('./guild.ts')).registerGuild(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const message = err instanceof ModelUnavailableError ? err.message : (err as Error).message;
  console.error(`idoltag: ${message}`);
  if (debug) console.error(err);
  process.exitCode = 1;
}
