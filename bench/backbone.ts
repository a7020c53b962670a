/**
 * Backbone benchmark (issue: deep metric learning). Imports nagadomi10 (train split) + newgame8 +
 * keima3 as crops into a scratch data folder, measures nagadomi10 closed-set top-1 with the ImageNet
 * backbone, runs `idoltag train backbone`, and measures again. The backbone training holds whole
 * characters out (split "val"); 5-shot top-1 on those, before and after, comes from the training
 * run's own held-out evaluation. Writes bench/results/backbone-<device>-<date>.json.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models npx tsx bench/backbone.ts [--epochs N] [--device cpu|cuda] [--keep]
 *
 * --keep leaves the scratch data folder (its path is printed) for further measurements.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.IDOLTAG_TEST_DATA ?? path.resolve(root, '..', 'shared', 'data');
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const device = flag('--device') ?? 'cpu';
const epochs = flag('--epochs');
const data = mkdtempSync(path.join(os.tmpdir(), 'idoltag-bench-backbone-'));

function cli(...cliArgs: string[]): string {
  const r = spawnSync(process.execPath, [tsxCli, path.join(root, 'src/cli/main.ts'), '--data', data, ...cliArgs], {
    encoding: 'utf8',
    env: { ...process.env, IDOLTAG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`idoltag ${cliArgs.join(' ')} failed`);
  return r.stdout;
}

function closedSetTop1(): { top1: number; bestCandidate: number; images: number } {
  const lines = cli('tag', path.join(shared, 'nagadomi10', 'labels.csv'), '--split', 'test', '--crops', '--json')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  let named = 0;
  let best = 0;
  for (const line of lines) {
    const truth = path.basename(path.dirname(line.path));
    if (line.faces[0]?.label === truth) named++;
    if (line.faces[0]?.candidates[0]?.label === truth) best++;
  }
  return { top1: named / lines.length, bestCandidate: best / lines.length, images: lines.length };
}

const started = Date.now();
cli('import', path.join(shared, 'nagadomi10', 'labels.csv'), '--split', 'train', '--crops');
cli('import', path.join(shared, 'newgame8', 'labels.csv'), '--crops', '--alias', 'lijima_yun=iijima_yun');
cli('import', path.join(shared, 'keima3', 'labels.csv'), '--crops');
const before = closedSetTop1();
const trainStart = Date.now();
const out = cli('train', 'backbone', '--force', '--device', device, ...(epochs ? ['--epochs', epochs] : []));
const trainSeconds = (Date.now() - trainStart) / 1000;
const [verdictLine, metricsLine] = out.trim().split('\n');
const heldOut = metricsLine ? JSON.parse(metricsLine) : undefined;
const version = /\((backbone-[^)]+)\)/.exec(verdictLine)?.[1];
if (version && verdictLine.startsWith('rejected')) cli('embedder', 'activate', version); // measure it anyway, in the scratch folder
const after = version ? closedSetTop1() : undefined;

const result = {
  benchmark: 'backbone',
  date: new Date().toISOString(),
  device,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
  protocol:
    'Imported nagadomi10 train split + newgame8 + keima3 (crops; lijima_yun merged into iijima_yun, takimoto_hifumi merged). ' +
    'closed = nagadomi10 test split tagged (unknown counts as wrong; bestCandidate ignores the unknown gate). ' +
    "heldOut = the training run's own split: ~20% of characters held out of its selection phase (which picks the epoch count); the served model is then retrained on every label, so unseen-character figures are measured on the selection model. " +
    'unseenFiveShotTop1 = head fit on 5 faces per held-out character only, the rest queried; unseenFiveShotAmongKnownTop1 = the same 5 shots taught into a head that also knows every trained character (the DLC case).',
  verdict: verdictLine,
  trainSeconds,
  closedBefore: before,
  closedAfter: after,
  heldOut,
  fiveShotGain: heldOut ? heldOut.candidate.unseenFiveShotTop1 - heldOut.current.unseenFiveShotTop1 : undefined,
  fiveShotAmongKnownGain: heldOut
    ? heldOut.candidate.unseenFiveShotAmongKnownTop1 - heldOut.current.unseenFiveShotAmongKnownTop1
    : undefined,
  totalSeconds: (Date.now() - started) / 1000,
};
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', `backbone-${device}-${result.date.slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
console.log(`written ${file}`);
if (args.includes('--keep')) console.log(`scratch data folder kept: ${data}`);
else rmSync(data, { recursive: true, force: true });
