// Rebuilds the measured figures in README.md from bench/results/*.json: every block between
// `<!-- figures:<id> -->` and `<!-- /figures -->` is generated here, nothing outside the markers is touched.
//   npm run docs:figures            rewrite the blocks
//   npm run docs:figures -- --check exit 1 (and say which file) when a block differs from the results
// test/integration/readme-figures.test.ts fails when README.md no longer matches bench/results/.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillBlocks, fixed, ResultsReader, seconds, table, whole, wrap } from './figures/results.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

// The results files the blocks read (bench/results/).
const CG_FEWSHOT = 'eval-fewshot5-cg-heldout.json';
const DLC = 'eval-dlc-newgame8-shipped.json';
const DLC_IMAGENET = 'eval-dlc-newgame8.json';
const CLOSED = 'eval-closed-nagadomi10-shipped.json';
const CLOSED_IMAGENET = 'eval-closed-nagadomi10.json';
const FEWSHOT_IMAGENET = 'eval-fewshot5-nagadomi10.json';
const SEED_STUDY = 'seed-study-224.json';
const TAG_V5 = 'bench-2026-12-03-amd-tag-v5.json';
const TAG_V4_SAME_HOUR = 'bench-2026-12-03-amd-tag-v4-same-hour.json';
const TAG_V4 = 'bench-2026-12-02-amd-tag-v4.json';
const TAG_V4_BEFORE = 'bench-2026-12-02-amd-tag-v4-before.json';
const TAG_V4_INTEL = 'bench-2026-12-02-intel-tag-v4.json';
const TAG_V3 = 'bench-2026-12-02-idle-tag-v3.json';
const TAG_V2 = 'bench-2026-12-02-idle-tag.json';
const BACKBONE = 'backbone-cpu-2026-11-26.json';
const TRAINER = 'trainer-cpu.json';
const BENCH = 'bench-2026-11-26.json';
const DETECT = 'detect-2026-11-26.json';
const LOAD = 'load-2026-12-02.json';

/** A cell's text, made from the results it reads. */
type FromResults = (r: ResultsReader) => string;

/** One row of the "Measured" table. Its source cell lists the files its two cells read. */
interface MeasuredRow {
  what: string | FromResults;
  figure: FromResults;
  /** Said after the files in the source cell: "(the bench script)" or, after a ";", a doc with more. */
  also?: string;
}

const acc = (x: number) => fixed(x, 3);
/** "named right / best candidate" of an `idoltag eval` result at `at` (`fewShot`, `closed/overall`, …). */
const namedBest = (r: ResultsReader, file: string, at: string, mean = '') =>
  `${acc(r.num(file, `${at}/labelAccuracy${mean}`))} / ${acc(r.num(file, `${at}/top1${mean}`))}`;
/** A model of the seed study (measured on the Intel Xeon, floor 0.99) on one of its protocols. */
const seedStudy = (r: ResultsReader, model: string, protocol: string, measure: string) =>
  acc(r.num(SEED_STUDY, `models/${model}/sweep/${protocol}/${measure}`));
const V3 = 'seed 0 (idoltag_idols_v3, trained for commit 3653b5c, 2026-12-02)';
const V4 = 'soup of seeds 0+1+2 (uniform): idoltag_idols_v4';
const seedsNamedBest = (
  r: ResultsReader,
  model: string,
  protocol: string,
  named = 'namedRight',
  best = 'bestCandidate',
) => `${seedStudy(r, model, protocol, named)} / ${seedStudy(r, model, protocol, best)}`;

/** `npm run bench` results: the median wall and CPU ms of screenshot → tags. */
const wallCpu = (r: ResultsReader, file: string) =>
  `${whole(r.num(file, 'tag/ms/total/median'))} ms / ${whole(r.num(file, 'tag/ms/cpu/median'))} ms`;
const baselineMs = (r: ResultsReader, file: string) => whole(r.num(file, 'baseline/ms/total/median'));
const ratio = (r: ResultsReader, file: string) => `${fixed(r.num(file, 'baseline/ratioOursToBaseline'), 2)}×`;
/** "Intel Xeon" for the "Intel(R) Xeon(R) Processor" a bench run recorded. */
const cpuName = (r: ResultsReader, file: string) =>
  r
    .text(file, 'machine/cpu')
    .replace(/\((R|TM)\)/g, '')
    .replace(/ Processor$/, '');
/** "AMD EPYC 2-core, load 1.4 at the start": the machine and load average a bench run recorded. */
const machine = (r: ResultsReader, file: string) =>
  `${cpuName(r, file)} ${r.num(file, 'machine/cores')}-core, load ${fixed(r.num(file, 'loadAverage/start/0'), 1)} at the start`;
/** Milliseconds for the README: one decimal under 10 ms, whole above. */
const ms = (x: number) => (x < 10 ? fixed(x, 1) : whole(x));

const THREE_CHANGES = 'commits 25f92c7, 818b3d8 and 9fcf0c8';

const MEASURED: MeasuredRow[] = [
  {
    what: '**the shipped embedder** (`idoltag_idols_v5`, new data folders), 40 held-out CG idols taught 5 shots each: named right / best candidate',
    figure: (r) =>
      `${namedBest(r, CG_FEWSHOT, 'fewShot', '/mean')} (seed study on the Intel Xeon: v3 ${seedsNamedBest(r, V3, 'heldOutIdols5Shot')}; v4 ${seedsNamedBest(r, V4, 'heldOutIdols5Shot')})`,
    also: 'earlier embedders: [docs/models.md](docs/models.md)',
  },
  {
    what: 'the shipped embedder: newgame8 DLC, 7 new characters taught 5 shots, named right / best candidate',
    figure: (r) =>
      `${namedBest(r, DLC, 'dlc/new', '/mean')} (ImageNet before: ${acc(r.num(DLC_IMAGENET, 'dlc/new/labelAccuracy/mean'))}; v3: ${seedsNamedBest(r, V3, 'dlcNewgame8', 'newNamedRight', 'newBestCandidate')}; v4: ${seedsNamedBest(r, V4, 'dlcNewgame8', 'newNamedRight', 'newBestCandidate')})`,
  },
  {
    what: 'the shipped embedder: never-taught faces (newgame8 + keima3) answered "unknown" at the same gate',
    figure: (r) =>
      `${acc(r.num(CG_FEWSHOT, 'openSet/gate/unknownRejected'))} (v3: ${seedStudy(r, V3, 'heldOutIdols5Shot', 'neverTaughtUnknown')}; v4: ${seedStudy(r, V4, 'heldOutIdols5Shot', 'neverTaughtUnknown')})`,
  },
  {
    what: 'the shipped embedder: nagadomi10 closed set (its test rows; v2–v5 trained on its train rows), named right / best candidate',
    figure: (r) =>
      `${namedBest(r, CLOSED, 'closed/overall')} (v3: ${seedsNamedBest(r, V3, 'closedNagadomi10')}, the luckiest of three seeds here: the others gave ${seedStudy(r, 'seed 1', 'closedNagadomi10', 'bestCandidate')} and ${seedStudy(r, 'seed 2', 'closedNagadomi10', 'bestCandidate')} best candidate; v4: ${seedsNamedBest(r, V4, 'closedNagadomi10')})`,
    also: '`test/integration/cli-crops.test.ts`',
  },
  {
    what: (r) =>
      `the shipped embedder: screenshot → tags, median wall / CPU, ${machine(r, TAG_V5)} (the seed-style ResNet18 baseline: ${baselineMs(r, TAG_V5)} ms)`,
    figure: (r) =>
      `**${whole(r.num(TAG_V5, 'tag/ms/total/median'))} ms** / ${whole(r.num(TAG_V5, 'tag/ms/cpu/median'))} ms with v5 (${ratio(r, TAG_V5)} the baseline); v4, the same network, in the same hour: ${wallCpu(r, TAG_V4_SAME_HOUR)}. v4 on ${r.day(TAG_V4)}: ${wallCpu(r, TAG_V4)} (baseline ${baselineMs(r, TAG_V4)} ms: ${ratio(r, TAG_V4)}). The code before ${THREE_CHANGES} (crops encoded beside the embedding, kept at most 512 px, small images enlarged bilinearly for the detector), in that hour: ${wallCpu(r, TAG_V4_BEFORE)}`,
  },
  {
    what: (r) =>
      `the same screenshots letterboxed into 1920×1080 JPEG frames, the size real screenshots come in (\`tag1080\`), ${r.text(TAG_V4, 'machine/cpu')}`,
    figure: (r) =>
      `**${whole(r.num(TAG_V4, 'tag1080/ms/total/median'))} ms** with v4 (before those three commits: ${whole(r.num(TAG_V4_BEFORE, 'tag1080/ms/total/median'))} ms); detection is ${whole(r.num(TAG_V4, 'tag1080/ms/detect/median'))} ms of it`,
  },
  {
    what: (r) =>
      `the same with v4, ${machine(r, TAG_V4_INTEL)}, before those three commits (baseline: ${baselineMs(r, TAG_V4_INTEL)} ms)`,
    figure: (r) => `${wallCpu(r, TAG_V4_INTEL)} (${ratio(r, TAG_V4_INTEL)} the baseline)`,
  },
  {
    what: (r) => `the same with v3 (same network size), ${machine(r, TAG_V3)} (baseline: ${baselineMs(r, TAG_V3)} ms)`,
    figure: (r) =>
      `${wallCpu(r, TAG_V3)} (${ratio(r, TAG_V3)} the baseline; v2 at 160 px: ${whole(r.num(TAG_V2, 'tag/ms/total/median'))} ms)`,
  },
  {
    what: 'nagadomi10 closed set, train split taught, test split tagged, ImageNet backbone (gate before): named right (unknown counts as wrong) / best candidate',
    figure: (r) => namedBest(r, CLOSED_IMAGENET, 'closed/overall'),
  },
  {
    what: 'few-shot, 5 shots per character (nagadomi10, 5 seeds), ImageNet backbone, best candidate',
    figure: (r) =>
      `${acc(r.num(FEWSHOT_IMAGENET, 'fewShot/top1/mean'))} ± ${acc(r.num(FEWSHOT_IMAGENET, 'fewShot/top1/std'))}`,
  },
  {
    what: (r) =>
      `DLC: 7 newgame8 characters taught with 5 shots through the head only, ImageNet backbone, best candidate (old characters ${acc(r.num(DLC_IMAGENET, 'dlc/oldBefore/top1'))} → ${acc(r.num(DLC_IMAGENET, 'dlc/oldAfter/top1/mean'))})`,
    figure: (r) => acc(r.num(DLC_IMAGENET, 'dlc/new/top1/mean')),
  },
  {
    what: (r) =>
      `embedder training on CPU (\`idoltag train embedder\`: nagadomi10 train split + newgame8 + keima3, up to 6 epochs, ≈ ${fixed(r.num(BACKBONE, 'trainSeconds') / 60, 1)} min): nagadomi10 test split tagged, best-candidate top-1 / named right (unknown counts as wrong)`,
    figure: (r) =>
      `${acc(r.num(BACKBONE, 'closedBefore/bestCandidate'))} → **${acc(r.num(BACKBONE, 'closedAfter/bestCandidate'))}** / ${acc(r.num(BACKBONE, 'closedBefore/top1'))} → ${acc(r.num(BACKBONE, 'closedAfter/top1'))}`,
    also: '(`bench/backbone.ts`)',
  },
  {
    what: 'same run, 4 characters held out of its selection run, taught with 5 shots into a head that also knows the 16 trained ones (the DLC case) / among themselves only',
    figure: (r) =>
      `${acc(r.num(BACKBONE, 'heldOut/current/unseenFiveShotAmongKnownTop1'))} → **${acc(r.num(BACKBONE, 'heldOut/candidate/unseenFiveShotAmongKnownTop1'))}** / ${acc(r.num(BACKBONE, 'heldOut/current/unseenFiveShotTop1'))} → ${acc(r.num(BACKBONE, 'heldOut/candidate/unseenFiveShotTop1'))}`,
  },
  {
    what: 'same run, held-out characters MAP@R; held-out faces of trained characters, closed-set top-1',
    figure: (r) =>
      `${acc(r.num(BACKBONE, 'heldOut/current/unseenMapAtR'))} → ${acc(r.num(BACKBONE, 'heldOut/candidate/unseenMapAtR'))}; ${acc(r.num(BACKBONE, 'heldOut/current/closedTop1'))} → ${acc(r.num(BACKBONE, 'heldOut/candidate/closedTop1'))}`,
  },
  {
    what: 'trainer recipe study (2 folds × 5 unseen characters): 5-shot top-1 pretrained → fine-tuned',
    figure: (r) => {
      const recipe = `summary/${r.text(TRAINER, 'default_recipe')}`;
      return `${acc(r.num(TRAINER, `${recipe}/mean_over_folds_by_epoch/epoch=0/pooled_five_shot_top1`))} → ${acc(r.num(TRAINER, `${recipe}/val_selected/five_shot_top1`))}`;
    },
    also: '`docs/trainer-lab-notes.md`',
  },
  {
    what: (r) =>
      `teach 5 crops → next crop recognised; 10 later crops of each of ${r.values(BENCH, 'teach/runs/*').length} new characters named right`,
    figure: (r) => {
      const sum = (pointer: string) => r.nums(BENCH, pointer).reduce((a, b) => a + b, 0);
      return `${seconds(r.num(BENCH, 'teach/medianMs'), 2)} s; ${sum('teach/runs/*/recognised')} of ${sum('teach/runs/*/queries')}`;
    },
    also: '(`npm run bench`)',
  },
  {
    what: 'head refit: 1k faces × 20 characters (exact) / 50k × 200 (reduced fit)',
    figure: (r) =>
      `${seconds(r.num(BENCH, 'head/refits/faces=1000&characters=20/wallMs'), 2)} s / ${seconds(r.num(BENCH, 'head/refits/faces=50000&characters=200/wallMs'), 2)} s wall`,
  },
  {
    what: "head refit through the service incl. SQLite reads and writes, 50k × 200: a guild's first head / after a /teach (starts from the previous head)",
    figure: (r) =>
      `${seconds(r.num(BENCH, 'refit/runs/kind=cold&characters=200&faces=50000/refitWallMs'), 1)} s / ${seconds(r.num(BENCH, 'refit/runs/kind=warm&faces=50005/refitWallMs'), 1)} s`,
  },
  {
    what: 'embedding throughput (2 threads, batch 4)',
    figure: (r) => `${whole(r.num(BENCH, 'embed/runs/threads=2&batch=4/cropsPerSecond'))} crops/s`,
  },
  {
    what: "screenshot → tags on the set's ≤ 960 px screenshots: median (decode / detect / embed / head)",
    figure: (r) => {
      const median = (step: string) => r.num(BENCH, `tag/ms/${step}/median`);
      return `${whole(median('total'))} ms (${['decode', 'detect', 'embed', 'head'].map((s) => ms(median(s))).join(' / ')})`;
    },
  },
  {
    what: 'face detection alone on 12 screenshots fitted into 1280×720 frames',
    figure: (r) => `${whole(r.num(DETECT, 'results/name=faceboxes/latencyMs/median'))} ms`,
  },
  {
    what: 'seed-style ResNet18 at 522 px on the same crops (random weights: timing only); ours ÷ it',
    figure: (r) => `${whole(r.num(BENCH, 'baseline/ms/total/median'))} ms; ${ratio(r, BENCH)}`,
  },
];

function measuredBlock(r: ResultsReader): string {
  let previous = '';
  const rows = MEASURED.map((row) => {
    r.takeTouched();
    const cells = [typeof row.what === 'string' ? row.what : row.what(r), row.figure(r)];
    const files = r
      .takeTouched()
      .map((file) => `\`${file}\``)
      .join(', ');
    const also = row.also?.startsWith('(') ? ` ${row.also}` : row.also ? `; ${row.also}` : '';
    const source = files === previous && !also ? 'same' : `${files}${also}`;
    previous = files;
    return [...cells, source];
  });
  const faceboxes = 'results/name=faceboxes/multiface';
  const note =
    'Images under 1024 px may get an extra enlarged detection pass for the small faces of group illustrations ' +
    `(${r.num(DETECT, 'results/name=faceboxes-2scale/multiface/found')} → ${r.num(DETECT, `${faceboxes}/found`)} of ${r.num(DETECT, `${faceboxes}/expected`)}, \`${DETECT}\`). ` +
    'It runs only when the other passes saw no head or a small one, so a close-up screenshot skips it: ' +
    `the p95 (${whole(r.num(BENCH, 'tag/ms/total/p95'))} ms, \`${BENCH}\`) is the screenshots where the first passes found nothing.`;
  return `${table(['what', 'figure', 'source'], rows)}\n\n${wrap(note)}`;
}

/** One row of the detector table: a configuration that bench/detect.ts measured, by its name there. */
interface DetectorRow {
  label: string;
  result: string;
}

const DETECTORS: DetectorRow[] = [
  { label: "lbp, nagadomi's defaults", result: 'lbp-default' },
  { label: 'lbp, padded, minNeighbors 3', result: 'lbp-pad30-n3' },
  { label: 'faceapi SSD (0.3)', result: 'faceapi-ssd-0.3' },
  { label: 'faceboxes, 640 + own size', result: 'faceboxes-2scale' },
  { label: 'faceboxes (default: + a fine pass when small heads or none were seen)', result: 'faceboxes' },
  { label: 'faceboxes+lbp', result: 'faceboxes+lbp' },
];

function detectorBlock(r: ResultsReader): string {
  const of = (result: string, pointer: string) => r.num(DETECT, `results/name=${result}/${pointer}`);
  /** The total a column counts out of, the same for every row. */
  const total = (pointer: string) => {
    const totals = new Set(DETECTORS.map((d) => of(d.result, pointer)));
    if (totals.size !== 1) throw new Error(`${DETECT}: the rows count ${pointer} out of different totals`);
    return [...totals][0];
  };
  const defaultDetector = r.text(DETECT, 'defaultDetector');
  const rows = DETECTORS.map(({ label, result }) => {
    const unmatched = of(result, 'screenshots/unmatched') / of(result, 'screenshots/total');
    const cells = [
      label,
      String(of(result, 'screenshots/hits')),
      unmatched === 0 ? '0' : fixed(unmatched, 2),
      String(of(result, 'multiface/found')),
      String(of(result, 'frames/found')),
      whole(of(result, 'latencyMs/median')),
      whole(of(result, 'storedLatencyMs/median')),
    ];
    return result === defaultDetector ? cells.map((cell) => `**${cell}**`) : cells;
  });
  const header = [
    'detector',
    `screenshot faces (of ${total('screenshots/total')})`,
    'false positives / screenshot',
    `multiface (of ${total('multiface/expected')})`,
    `group frames (of ${total('frames/expected')})`,
    'median ms, 1280×720',
    'median ms, stored ≤ 960 px',
  ];
  const note =
    `The fine pass is what puts the default's p95 at 1280×720 at ${whole(of('faceboxes', 'latencyMs/p95'))} ms ` +
    `(${whole(of('faceboxes-2scale', 'latencyMs/p95'))} ms without it), so a screenshot with no face in it pays for it. ` +
    `\`faceboxes+lbp\` finds ${of('faceboxes+lbp', 'frames/found')} of ${total('frames/expected')} group-frame faces, ` +
    `for ${fixed(of('faceboxes+lbp', 'latencyMs/median') / of('faceboxes', 'latencyMs/median'), 1)}× the time.`;
  return `${table(header, rows)}\n\n${wrap(note)}`;
}

/** One row of the load table: a setup that bench/load.ts ran, by its name there. */
interface LoadRow {
  label: string;
  setup: string;
  /** Its screenshots/s in bold: the row the goal is about. */
  bold?: boolean;
}

const LOAD_SETUPS: LoadRow[] = [
  {
    label: '1 process held to 1 core (`taskset`), `IDOLTAG_THREADS=1`',
    setup: '1 process on 1 core, 1 onnxruntime thread',
  },
  { label: '1 process, `IDOLTAG_THREADS=1`', setup: '1 process, 1 onnxruntime thread' },
  { label: '2 processes, `IDOLTAG_THREADS=1` each', setup: '2 processes, 1 onnxruntime thread each', bold: true },
  { label: '1 process, default threads', setup: '1 process, default onnxruntime threads' },
];

function loadBlock(r: ResultsReader): string {
  const of = (setup: string, pointer: string) => r.num(LOAD, `setups/setup=${setup}/${pointer}`);
  const rows = LOAD_SETUPS.map(({ label, setup, bold }) => {
    const rate = fixed(of(setup, 'saturated/screenshotsPerSecond'), 2);
    return [
      label,
      bold ? `**${rate}**` : rate,
      whole(of(setup, 'saturated/botCpuMsPerScreenshot')),
      fixed(of(setup, 'saturated/botCoresUsed'), 2),
      `${of(setup, 'idle/p50')} / ${of(setup, 'idle/p95')} ms`,
      `${of(setup, 'halfRate/latency/p95')} ms (${fixed(of(setup, 'halfRate/p95OverIdleP95'), 2)}×)`,
      `${r.nums(LOAD, `setups/setup=${setup}/peakRssMBPerProcess/*/peakRssMB`).join(' + ')} MB`,
    ];
  });
  const header = [
    'setup',
    'screenshots/s',
    'CPU ms / screenshot',
    'cores the bot used',
    'post → reply idle p50 / p95',
    'p95 at half rate (÷ idle p95)',
    'peak RSS',
  ];
  const target = (name: string) => fixed(r.num(LOAD, `targets/${name}`), 2);
  const oneThread = '1 process, 1 onnxruntime thread';
  const defaultThreads = '1 process, default onnxruntime threads';
  const run = `${r.text(LOAD, 'machine/cpuModel')}, ${r.num(LOAD, 'machine/cpus')} cores, load average ${fixed(r.num(LOAD, 'loadAverage/atStart/0'), 2)} at the start, ${r.day(LOAD)}:`;
  const bullets = [
    `**Scaling per core: ${target('twoProcessesOverOneCore')}×** (goal ≥ ${fixed(r.num(LOAD, 'targets/twoProcessesOverOneCoreGoal'), 1)}×): ` +
      '2 processes on 2 cores against 1 process held to one core. The same bench runs the embedder alone as 1 and 2 ' +
      `single-threaded copies: ${target('machineTwoOverOne')}× in that run, the most this machine gives any two processes.`,
    `Against 1 process free to use both cores: ${target('twoProcessesOverOne')}×. Such a process already overlaps ` +
      'its preview render and reply upload with the next screenshot, so it uses ' +
      `${fixed(of(oneThread, 'saturated/botCoresUsed'), 2)} cores.`,
    `With the default threads a screenshot costs ${whole(of(defaultThreads, 'saturated/botCpuMsPerScreenshot'))} ms ` +
      `of CPU, against ${whole(of(oneThread, 'saturated/botCpuMsPerScreenshot'))} ms with one thread.`,
  ].map((bullet) => wrap(`- ${bullet}`, '  '));
  return [run, '', table(header, rows), '', ...bullets].join('\n');
}

/** The generated blocks of each doc, by the id their markers name. */
export const FIGURE_BLOCKS: Record<string, Record<string, (r: ResultsReader) => string>> = {
  'README.md': { measured: measuredBlock, detectors: detectorBlock, load: loadBlock },
};

/** The doc's text with its figure blocks rebuilt from the results in `resultsDir`. */
export function regenerate(doc: string, text: string, resultsDir = RESULTS_DIR): string {
  const reader = new ResultsReader(resultsDir);
  const blocks = Object.fromEntries(Object.entries(FIGURE_BLOCKS[doc]).map(([id, render]) => [id, render(reader)]));
  return fillBlocks(text, blocks, doc);
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const doc of Object.keys(FIGURE_BLOCKS)) {
    const file = path.join(ROOT, doc);
    const text = readFileSync(file, 'utf8');
    const fresh = regenerate(doc, text);
    if (fresh === text) continue;
    stale += 1;
    if (check) console.error(`${doc}: its figures differ from bench/results/ (npm run docs:figures rewrites them)`);
    else {
      writeFileSync(file, fresh);
      console.log(`${doc}: figures rewritten from bench/results/`);
    }
  }
  if (check && stale > 0) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
