/**
 * Face detector benchmark.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models npx tsx bench/detect.ts [--only a,b] [--no-latency | --latency-only]
 *
 * - screenshots_syncopika: 63 screenshots, one hand box each (only the main face is boxed). A hit
 *   is IoU >= 0.3 or the hand box's centre inside a detection. "unmatched" counts detections that
 *   hit no hand box (includes real secondary faces); "disjoint" those not even touching it.
 * - multiface: illustrations with approximate face counts; found = sum of min(detected, expected),
 *   "extra" = sum of max(0, detected - expected).
 * - frames: group illustrations pasted at about 100 px a face into 1280x720 / 1920x1080 frames (a
 *   group shot in a screenshot); found = sum of min(detected, expected).
 * - latency: median and p95 of one detect() call on 12 screenshots fitted into 1280x720 frames
 *   (aspect kept; stretching them made faces too distorted to find), and on all
 *   screenshots as stored (at most 960 px wide, so they get the enlarged pass when it is needed).
 * A full run writes bench/results/detect-<date>.json; a partial one bench/results/tmp/detect-partial.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ChainDetector, DEFAULT_DETECTOR, createDetector, type DetectorOptions } from '../src/core/detect/chain.ts';
import { FaceApiDetector } from '../src/core/detect/faceapi.ts';
import { FaceBoxesDetector } from '../src/core/detect/faceboxes.ts';
import { decodeRgb } from '../src/core/detect/image.ts';
import { LbpDetector } from '../src/core/detect/lbp.ts';
import { intersection, iou } from '../src/core/detect/nms.ts';
import type { Box, DetectedFace, FaceDetector, RgbImage } from '../src/core/types.ts';
import { benchModelSources } from './common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = process.env.IDOLTAG_DATA ?? path.resolve(ROOT, '..', 'shared', 'data');
process.env.IDOLTAG_MODEL_MIRROR ??= path.join(DATA, 'models');

function readCsv(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const split = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        out.push(cur);
        cur = '';
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const header = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [header[i], v])));
}

export function isHit(d: Box, gt: Box): boolean {
  const cx = gt.x + gt.w / 2;
  const cy = gt.y + gt.h / 2;
  return iou(d, gt) >= 0.3 || (cx >= d.x && cx <= d.x + d.w && cy >= d.y && cy <= d.y + d.h);
}

interface Candidate {
  name: string;
  make: () => FaceDetector;
}

const models = benchModelSources();
const fb =
  (s: ConstructorParameters<typeof FaceBoxesDetector>[1] = {}) =>
  () =>
    new ChainDetector([new FaceBoxesDetector(models, s)]);
const chain =
  (name: string, o: DetectorOptions = {}) =>
  () =>
    createDetector(name, models, o);

const lbp =
  (s: ConstructorParameters<typeof LbpDetector>[1] = {}) =>
  () =>
    new ChainDetector([new LbpDetector(models, s)]);
const faceapi =
  (s: ConstructorParameters<typeof FaceApiDetector>[0] = {}) =>
  () =>
    new ChainDetector([new FaceApiDetector(s)]);

const CANDIDATES: Candidate[] = [
  { name: 'lbp-default', make: lbp() },
  { name: 'lbp-pad30', make: lbp({ pad: 0.3 }) },
  { name: 'lbp-pad30-n3', make: lbp({ pad: 0.3, minNeighbors: 3 }) },
  { name: 'lbp-pad30-n3-s1.05', make: lbp({ pad: 0.3, minNeighbors: 3, scaleFactor: 1.05 }) },
  { name: 'lbp', make: chain('lbp') },
  { name: 'faceapi-ssd', make: faceapi({ model: 'ssd' }) },
  { name: 'faceapi-ssd-0.3', make: faceapi({ model: 'ssd', minConfidence: 0.3 }) },
  { name: 'faceapi-tiny', make: faceapi({ model: 'tiny', inputSize: 416 }) },
  { name: 'faceboxes-single', make: fb({ scales: [0], fineSide: null }) },
  { name: 'faceboxes-640', make: fb({ scales: [640], fineSide: null }) },
  { name: 'faceboxes-2scale', make: fb({ scales: [640, 0], fineSide: null }) },
  { name: 'faceboxes-2scale-heads', make: fb({ scales: [640, 0], fineSide: null, faceBox: null }) },
  { name: 'faceboxes-up2', make: fb({ scales: [640, 0], fineSide: 1600, largeFineSide: 1600, maxUpscale: 2 }) },
  { name: 'faceboxes+320', make: fb({ scales: [640, 0, 320] }) },
  { name: 'faceboxes', make: chain('faceboxes') },
  { name: 'faceboxes-fine-always', make: fb({ enlargeBelowHead: null }) },
  { name: 'faceboxes-fine<0.25', make: fb({ enlargeBelowHead: 0.25 }) },
  { name: 'faceboxes-fine<0.35', make: fb({ enlargeBelowHead: 0.35 }) },
  { name: 'faceboxes-fine<0.3@0.3', make: fb({ enlargeTriggerScore: 0.3 }) },
  { name: 'faceboxes-large-2400', make: fb({ largeFineSide: 2400 }) },
  { name: 'faceboxes-1thread', make: chain('faceboxes', { faceboxes: { threads: 1 } }) },
  { name: 'faceboxes+lbp', make: chain('faceboxes+lbp') },
  { name: 'faceboxes+lbp-nms', make: chain('faceboxes+lbp', { chain: { priority: false } }) },
  { name: 'faceboxes+faceapi', make: chain('faceboxes+faceapi') },
];

interface Result {
  name: string;
  id: string;
  settings: Record<string, unknown>;
  screenshots: { hits: number; total: number; unmatched: number; disjoint: number; misses: string[] };
  multiface: { found: number; expected: number; extra: number; perImage: Record<string, string> };
  frames: { found: number; expected: number; extra: number; perImage: Record<string, string> };
  /** Wall-clock, and CPU time of the process (all threads), which other load on the machine disturbs less. */
  latencyMs?: { median: number; p95: number; cpuMedian: number; runs: number };
  storedLatencyMs?: { median: number; p95: number; cpuMedian: number; runs: number };
  detections: Record<string, Array<[number, number, number, number, number, string]>>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : undefined;
  const latency = !args.includes('--no-latency');
  const accuracy = !args.includes('--latency-only');
  const candidates = CANDIDATES.filter((c) => !only || only.includes(c.name));

  const shotDir = path.join(DATA, 'screenshots_syncopika');
  const shots = await Promise.all(
    readCsv(path.join(shotDir, 'boxes.csv')).map(async (r) => ({
      path: r.path,
      box: { x: +r.x, y: +r.y, w: +r.w, h: +r.h },
      image: await decodeRgb(path.join(shotDir, r.path)),
    })),
  );
  const multiDir = path.join(DATA, 'multiface');
  const multi = await Promise.all(
    readCsv(path.join(multiDir, 'images.csv')).map(async (r) => ({
      path: r.path,
      expected: +r.approx_face_count,
      image: await decodeRgb(path.join(multiDir, r.path)),
    })),
  );
  const frames = await Promise.all(FRAMES.map(async (f) => ({ ...f, image: await groupFrame(multiDir, f) })));
  const timed: RgbImage[] = await Promise.all(shots.slice(0, 12).map((s) => letterbox(s.image, 1280, 720)));

  const results: Result[] = [];
  for (const c of candidates) {
    const det = c.make();
    const detections: Result['detections'] = {};
    const keep = (p: string, faces: DetectedFace[]) =>
      (detections[p] = faces.map((f) => [
        Math.round(f.x),
        Math.round(f.y),
        Math.round(f.w),
        Math.round(f.h),
        +f.score.toFixed(3),
        f.detector,
      ]));
    const screenshots = { hits: 0, total: shots.length, unmatched: 0, disjoint: 0, misses: [] as string[] };
    for (const s of accuracy ? shots : []) {
      const faces = await det.detect(s.image);
      keep(s.path, faces);
      if (faces.some((f) => isHit(f, s.box))) screenshots.hits++;
      else screenshots.misses.push(path.basename(s.path));
      screenshots.unmatched += faces.filter((f) => !isHit(f, s.box)).length;
      screenshots.disjoint += faces.filter((f) => intersection(f, s.box) === 0).length;
    }
    // Sets with face counts but no boxes: found = sum of min(detected, expected).
    const counted = async (set: Array<{ name: string; expected: number; image: RgbImage }>) => {
      const tally = { found: 0, expected: 0, extra: 0, perImage: {} as Record<string, string> };
      for (const m of accuracy ? set : []) {
        const faces = await det.detect(m.image);
        keep(m.name, faces);
        tally.found += Math.min(faces.length, m.expected);
        tally.expected += m.expected;
        tally.extra += Math.max(0, faces.length - m.expected);
        tally.perImage[m.name] = `${faces.length}/${m.expected}`;
      }
      return tally;
    };
    const multiface = await counted(multi.map((m) => ({ ...m, name: path.basename(m.path) })));
    const framesFound = await counted(frames);
    let latencyMs: Result['latencyMs'];
    let storedLatencyMs: Result['storedLatencyMs'];
    if (latency) {
      await det.detect(timed[0]);
      latencyMs = await timeDetect(det, timed, 2);
      storedLatencyMs = await timeDetect(
        det,
        shots.map((s) => s.image),
        1,
      );
    }
    await det.dispose?.();
    const r: Result = {
      name: c.name,
      id: det.id,
      settings: det.settings,
      screenshots,
      multiface,
      frames: framesFound,
      latencyMs,
      storedLatencyMs,
      detections,
    };
    results.push(r);
    console.log(row(r));
  }

  console.log('\n' + header());
  for (const r of results) console.log(row(r));
  const date = new Date().toISOString().slice(0, 10);
  const outDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(path.join(outDir, 'tmp'), { recursive: true });
  const out = path.join(outDir, `detect-${date}.json`);
  const report = {
    date: new Date().toISOString(),
    defaultDetector: DEFAULT_DETECTOR,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    data: {
      screenshots: shots.length,
      multifaceImages: multi.length,
      groupFrames: frames.length,
      latencyImage: '1280x720',
    },
    results,
  };
  if (!only && accuracy && latency) writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  else writeFileSync(path.join(outDir, 'tmp', 'detect-partial.json'), JSON.stringify(report, null, 1) + '\n');
  console.log(
    `\nwrote ${!only && accuracy && latency ? path.relative(ROOT, out) : 'bench/results/tmp/detect-partial.json'}`,
  );
}

/** Scaled to fit, aspect kept, centred on a dark frame: a screenshot, not a stretched picture. */
async function letterbox(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const { data } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width, height };
}

interface FrameSpec {
  name: string;
  width: number;
  height: number;
  expected: number;
  parts: Array<{ file: string; scale: number; left: number; top: number }>;
}

const FRAMES: FrameSpec[] = [
  {
    name: '1080p-xavier_test_1',
    width: 1920,
    height: 1080,
    expected: 13,
    parts: [{ file: 'xavier_test_1.jpg', scale: 1, left: 560, top: 140 }],
  },
  {
    name: '1080p-detect_04',
    width: 1920,
    height: 1080,
    expected: 5,
    parts: [{ file: 'jonathonyan_detect_04.jpg', scale: 1, left: 500, top: 300 }],
  },
  {
    name: '1080p-detect_01-twice',
    width: 1920,
    height: 1080,
    expected: 12,
    parts: [
      { file: 'jonathonyan_detect_01.jpg', scale: 0.6, left: 200, top: 300 },
      { file: 'jonathonyan_detect_01.jpg', scale: 0.6, left: 1200, top: 300 },
    ],
  },
  {
    name: '720p-xavier_test_1',
    width: 1280,
    height: 720,
    expected: 13,
    parts: [{ file: 'xavier_test_1.jpg', scale: 0.8, left: 320, top: 40 }],
  },
];

async function groupFrame(dir: string, f: FrameSpec): Promise<RgbImage> {
  const composites = await Promise.all(
    f.parts.map(async (p) => {
      const img = sharp(path.join(dir, 'images', p.file));
      const { width } = await img.metadata();
      return { input: await img.resize(Math.round(width! * p.scale)).toBuffer(), left: p.left, top: p.top };
    }),
  );
  const { data } = await sharp({
    create: { width: f.width, height: f.height, channels: 3, background: { r: 30, g: 30, b: 60 } },
  })
    .composite(composites)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: f.width, height: f.height };
}

async function timeDetect(det: FaceDetector, images: RgbImage[], rounds: number): Promise<Result['latencyMs']> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const img of images) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await det.detect(img);
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    median: +percentile(times, 0.5).toFixed(1),
    p95: +percentile(times, 0.95).toFixed(1),
    cpuMedian: +percentile(cpu, 0.5).toFixed(1),
    runs: times.length,
  };
}

function header(): string {
  return [
    'detector'.padEnd(24),
    'shots',
    'FP/img',
    'disj/img',
    'multi',
    'extra',
    'frames',
    'med ms',
    'p95 ms',
    'cpu ms',
    'stored med',
    'stored p95',
  ].join('  ');
}

function row(r: Result): string {
  const s = r.screenshots;
  return [
    r.name.padEnd(24),
    `${s.hits}/${s.total}`.padStart(5),
    (s.unmatched / s.total).toFixed(3).padStart(6),
    (s.disjoint / s.total).toFixed(3).padStart(8),
    `${r.multiface.found}/${r.multiface.expected}`.padStart(5),
    String(r.multiface.extra).padStart(5),
    `${r.frames.found}/${r.frames.expected}`.padStart(6),
    String(r.latencyMs?.median ?? '-').padStart(6),
    String(r.latencyMs?.p95 ?? '-').padStart(6),
    String(r.latencyMs?.cpuMedian ?? '-').padStart(6),
    String(r.storedLatencyMs?.median ?? '-').padStart(10),
    String(r.storedLatencyMs?.p95 ?? '-').padStart(10),
  ].join('  ');
}

await main();
