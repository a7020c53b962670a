import path from 'node:path';
import { Command } from 'commander';
import { loadRuntimeSettings, modelSources } from '../config.ts';
import { resolveModelFile } from '../core/models/cache.ts';
import { loadManifest } from '../core/models/manifest.ts';
import { resolveVersionName } from '../services/model-registry.ts';
import { dataDir, guildOf, withServices, type GlobalOptions } from './context.ts';
import { gracefulStop } from './shutdown.ts';

function describeProgress(e: Record<string, unknown>): string {
  if ('phase' in e) return `${e.phase} ${e.done}/${e.total}`;
  switch (e.event) {
    case 'start':
      return `training on ${e.train_items} faces of ${e.train_labels} characters (${e.device}), up to ${e.epochs} epochs`;
    case 'stage':
      return `final run on every label, held-out characters included: ${e.epochs} epochs on ${e.items} faces of ${e.labels} characters`;
    case 'epoch':
      if (e.stage === 'final') return `final epoch ${e.epoch}/${e.epochs}: loss ${Number(e.loss).toFixed(4)}`;
      return `epoch ${e.epoch}/${e.epochs}: loss ${Number(e.loss).toFixed(4)}, held-out MAP@R ${Number(e.val_map_at_r).toFixed(3)}, recall@1 ${Number(e.val_recall_at_1).toFixed(3)} (${Number(e.seconds).toFixed(0)} s)`;
    case 'step':
      return `  step ${e.step}: loss ${Number(e.loss).toFixed(4)}`;
    default:
      return String(e.event);
  }
}

export function registerAdmin(program: Command): void {
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

  program.addCommand(embedderVersionsCommand('embedder'));
  // `model` was this group's name, one letter from `models` (the files); kept for scripts, out of the help.
  program.addCommand(embedderVersionsCommand('model'), { hidden: true });

  const train = program.command('train').description('retrain the head or the backbone');
  train
    .command('head')
    .description('refit the character head from every taught and corrected face')
    .action(async (_opts, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      await withServices(global, async (services) => {
        const refit = await services.heads.refitAsTrainingRun(guildOf(global));
        console.log(
          `Head v${refit.headVersion}: ${refit.characters} characters, ${refit.faces} faces, ${refit.fitMs.toFixed(0)} ms.`,
        );
      });
    });

  train
    .command('backbone')
    .description(
      'fine-tune the backbone on every label (Python trainer), then swap it in if held-out metrics did not drop',
    )
    .option('--epochs <n>', 'most epochs to train', (v) => Number(v))
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--force', 'train even if few new labels arrived since the last run')
    .option(
      '--from <start>',
      'active: from the serving model (or the shipped default); imagenet: from ImageNet',
      'active',
    )
    .option('--max-steps <n>', 'stop after this many steps (smoke tests)', (v) => Number(v))
    .action(
      async (
        opts: { epochs?: number; device?: 'auto' | 'cpu' | 'cuda'; force?: boolean; from: string; maxSteps?: number },
        cmd: Command,
      ) => {
        if (opts.from !== 'active' && opts.from !== 'imagenet')
          throw new Error(`--from must be active or imagenet (not ${opts.from})`);
        const from = opts.from;
        await withServices(cmd.optsWithGlobals<GlobalOptions>(), async (services) => {
          const outcome = await services.training.backbone({
            epochs: opts.epochs,
            device: opts.device,
            force: opts.force,
            from,
            trainerArgs: opts.maxSteps ? ['--max-steps', String(opts.maxSteps)] : [],
            // SIGTERM stops the trainer; the run is recorded as failed and the old model keeps serving.
            signal: gracefulStop(),
            onProgress: (e) => console.error(describeProgress(e as unknown as Record<string, unknown>)),
          });
          // A training that never started (no PyTorch) has nothing to report but its reason.
          if (outcome.status === 'failed' && outcome.runId === undefined) console.error(outcome.reason);
          else console.log(`${outcome.status}: ${outcome.reason}${outcome.version ? ` (${outcome.version})` : ''}`);
          if (outcome.current || outcome.candidate)
            console.log(JSON.stringify({ current: outcome.current, candidate: outcome.candidate }));
          if (outcome.status === 'failed') process.exitCode = 1;
        });
      },
    );

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
          for (const version of services.models.versions()) {
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
        await services.activateModel(version);
        console.log(`Now serving ${version}.`);
      });
    });
  return group;
}
