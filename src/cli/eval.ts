import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { formatReport, type Protocol } from '../services/evaluation/index.ts';
import { progress, withServices, type GlobalOptions } from './context.ts';

interface EvalOptions {
  protocol: string;
  shots: string;
  seeds: string;
  seed: string;
  testFraction: string;
  crops?: boolean;
  json?: boolean;
  save?: string;
  alias?: string[];
  unknown?: string[];
  new?: string[];
  trainEmbedder?: boolean;
  /** `--train-backbone`, the old name of `--train-embedder`. */
  trainBackbone?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval <sources...>')
    .description('measure recognition on labelled pictures (ImageFolder trees or labels CSVs)')
    .option('--protocol <name>', 'closed | fewshot | dlc', 'closed')
    .option('--shots <k>', 'fewshot/dlc: faces taught per character', '5')
    .option('--seeds <n>', 'fewshot/dlc: runs with different shots', '5')
    .option('--seed <n>', 'seed for every split', '1')
    .option('--test-fraction <x>', 'share queried when the data has no split column', '0.3')
    .option('--crops', 'the pictures are face crops: skip detection')
    .option('--json', 'print the report as JSON only')
    .option('--save <file>', 'also write the JSON report to this file')
    .option('--alias <old=new...>', 'read a label as another (e.g. lijima_yun=iijima_yun)')
    .option('--unknown <sources...>', 'faces of characters that are never taught (open-set numbers)')
    .option('--new <characters...>', 'dlc: the characters that arrive later (names, or commas)')
    .option('--train-embedder', 'dlc: first train the embedder on the old characters (idoltag train embedder)')
    // Its old name, kept for scripts, out of the help.
    .addOption(new Option('--train-backbone').hideHelp())
    .addHelpText(
      'after',
      '\nRuns in a scratch data folder (deleted afterwards) unless --data is given; with --data the\n' +
        'active embedder of that folder is used. Nothing is taught into it, except that --train-embedder\n' +
        'teaches the old characters into the guild "eval".',
    )
    .action(async (sources: string[], opts: EvalOptions, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const protocol = opts.protocol as Protocol;
      if (!['closed', 'fewshot', 'dlc'].includes(protocol))
        throw new Error(`--protocol must be closed, fewshot or dlc (not ${opts.protocol})`);
      const int = (name: string, value: string, min: number) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}`);
        return n;
      };
      const testFraction = Number(opts.testFraction);
      if (!(testFraction > 0 && testFraction < 1)) throw new Error('--test-fraction must be between 0 and 1');
      const trainEmbedder = opts.trainEmbedder || opts.trainBackbone;
      if (trainEmbedder && protocol !== 'dlc') throw new Error('--train-embedder belongs to --protocol dlc');
      if (trainEmbedder && global.data) {
        throw new Error(
          '--train-embedder runs in a scratch data folder only: it trains on every label of the folder and may switch its embedder',
        );
      }
      const scratch = global.data ? undefined : mkdtempSync(path.join(tmpdir(), 'idoltag-eval-'));
      try {
        await withServices({ ...global, data: global.data ?? scratch }, async (services) => {
          let bar: ReturnType<typeof progress> | undefined;
          const report = await services.evaluation.run({
            sources,
            protocol,
            crops: opts.crops,
            shots: int('--shots', opts.shots, 1),
            seeds: int('--seeds', opts.seeds, 1),
            seed: int('--seed', opts.seed, 0),
            testFraction,
            aliases: new Map((opts.alias ?? []).map((a) => a.split('=', 2) as [string, string])),
            unknownSources: opts.unknown,
            newLabels: opts.new
              ?.flatMap((n) => n.split(','))
              .map((n) => n.trim())
              .filter(Boolean),
            trainEmbedder,
            onProgress: (done, total) => {
              bar ??= progress(total, 'embedding');
              bar.tick();
              if (done === total) bar.stop();
            },
            log: (line) => console.error(line),
          });
          const json = JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
          if (opts.save) writeFileSync(opts.save, `${json}\n`);
          console.log(opts.json ? json : formatReport(report));
        });
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    });
}
