/**
 * The benchmark suite: `npm run bench` (or `npx tsx bench/run.ts [--only a,b] [--quick]`).
 * `npm run bench -- --load` runs the load benchmark (bench/load.ts) instead.
 *
 * Sections (ids for --only):
 *  - tag:       screenshot → tags on screenshots_syncopika (63 screenshots): decode / detect / embed /
 *               head (the TagResult timings) and the whole tagImage call, median and p95;
 *  - tag1080:   the same through tagImage with 30 of the screenshots letterboxed into 1920×1080 JPEG
 *               frames, the size real screenshots come in;
 *  - baseline:  the seed-style pipeline on the same crops: PyTorch eager ResNet18 at 522 px
 *               (/usr/bin/python3, torch CPU, random init), so the figures above are also ratios;
 *  - embed:     embedding throughput by batch size and onnxruntime threads;
 *  - head:      head refit time for 1k / 10k / 50k faces × 20 / 200 characters (synthetic clustered
 *               embeddings of the active dimension), and the reduced fit's accuracy against the exact;
 *  - refit:     the same through the service (SQLite read, fit, serialise, store) for 10k / 50k faces;
 *  - accuracy:  the nagadomi10 closed-set guard (train split taught, test split tagged, default gate);
 *  - teach:     teach 5 crops of a new character, then tag another crop of her: wall time;
 *  - sort:      `sort` throughput on the screenshots folder;
 * plus peak RSS (sampled every 25 ms) per section and overall. Machine load is recorded too: this
 * box is shared, and wall times under load are not the machine's speed (CPU times are given).
 *
 * Writes bench/results/bench-<date>.json and prints a short table.
 */
import './env.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './common.ts';
import { accuracySection } from './suite/accuracy.ts';
import { baselineSection } from './suite/baseline.ts';
import { embedSection } from './suite/embedding.ts';
import { headSection } from './suite/head-fit.ts';
import { refitSection } from './suite/refit.ts';
import { sortSection } from './suite/sort.ts';
import { openSuite, type Suite } from './suite/suite.ts';
import { printTable } from './suite/table.ts';
import { tag1080Section, tagSection } from './suite/tagging.ts';
import { teachSection } from './suite/teaching.ts';
import { SectionTimer } from './suite/timing.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : undefined;
const quick = args.includes('--quick');
// `npm run bench -- --load`: the load benchmark through the fake Discord (bench/load.ts) instead.
if (args.includes('--load')) {
  await import('./load.ts');
  process.exit(0);
}

/** The sections in the order they run; the ids are those of --only. */
const SECTIONS: Array<[string, (suite: Suite) => Promise<object>]> = [
  ['tag', tagSection],
  ['tag1080', tag1080Section],
  ['baseline', baselineSection],
  ['embed', embedSection],
  ['head', headSection],
  ['refit', refitSection],
  ['accuracy', accuracySection],
  ['teach', teachSection],
  ['sort', sortSection],
];

const timer = new SectionTimer((section) => !only || only.has(section));
const suite = openSuite(quick);
const started = new Date();
const loadStart = os.loadavg();
for (const [name, section] of SECTIONS) await timer.run(name, () => section(suite));
await suite.tagServices?.close();
rmSync(suite.tagDir, { recursive: true, force: true });
timer.stop();

const report = {
  date: started.toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  loadAverage: { start: loadStart.map((x) => round(x, 2)), end: os.loadavg().map((x) => round(x, 2)) },
  peakRssMB: round(timer.peakRss / 2 ** 20, 0),
  quick,
  ...timer.results,
};
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
const outFile = path.join(
  ROOT,
  'bench',
  'results',
  `bench-${started.toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`,
);
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
printTable(report as Record<string, any>);
console.log(`\nwrote ${path.relative(process.cwd(), outFile)}`);
