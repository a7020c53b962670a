import type { Command } from 'commander';
import { loadRuntimeSettings, modelSources } from '../config.ts';
import { resolveModelFile } from '../core/models/cache.ts';
import { loadManifest } from '../core/models/manifest.ts';

/** `idoltag models fetch`: the files of models/manifest.json (detectors and embedders alike) into the cache. */
export function registerModelFiles(program: Command): void {
  const models = program.command('models').description('model files');
  models
    .command('fetch')
    .description('download (or copy from IDOLTAG_MODEL_MIRROR) every model into the cache and verify it')
    .option('--only <ids...>', 'just these model ids')
    .action(async (opts: { only?: string[] }) => {
      const sources = modelSources(loadRuntimeSettings());
      for (const model of loadManifest()) {
        if (opts.only && !opts.only.includes(model.id)) continue;
        try {
          for (const file of model.files)
            console.log(`${model.id}: ${await resolveModelFile(sources, model.id, file.name)}`);
        } catch (err) {
          console.error(`${model.id}: ${(err as Error).message}`);
          process.exitCode = 1;
        }
      }
    });
}
