import type { Command } from 'commander';
import { guildOf, withServices, type GlobalOptions } from './context.ts';
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

/** `idoltag train head|embedder`: retrain now instead of waiting for the schedule. */
export function registerTrain(program: Command): void {
  const train = program.command('train').description('retrain the head or the embedder');
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
    .command('embedder')
    // `backbone` was this command's name; kept, and shown, for the scripts and cron lines that use it.
    .alias('backbone')
    .description(
      'fine-tune the embedder on every label (Python trainer), then swap it in if held-out metrics did not drop',
    )
    .option('--epochs <n>', 'most epochs to train', (v) => Number(v))
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--force', 'train even if few new labels arrived since the last run')
    .option(
      '--from <start>',
      'active: from the embedder in service (or the shipped default); imagenet: from ImageNet',
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
          const notice = services.roster.trainingNotice();
          if (notice) console.error(notice);
          const outcome = await services.training.embedder({
            epochs: opts.epochs,
            device: opts.device,
            force: opts.force,
            from,
            trainerArgs: opts.maxSteps ? ['--max-steps', String(opts.maxSteps)] : [],
            // SIGTERM stops the trainer; the run is recorded as failed and the old embedder keeps serving.
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
}
