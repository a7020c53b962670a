/** Section baseline: the seed-style pipeline on the same crops, PyTorch eager ResNet18 at 522 px (bench/baseline_resnet18.py). */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../src/core/labelled-files.ts';
import { round } from '../common.ts';
import { SHARED_DATA } from '../env.ts';
import { stats } from './timing.ts';
import type { Suite } from './suite.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** /usr/bin/python3 with torch on CPU, random weights: the figures of the tag section become ratios. */
export async function baselineSection(suite: Suite) {
  if (suite.cropsForBaseline.length === 0) {
    // Without the tag section: the hand boxes of the screenshots stand in for detections.
    const boxes = parseCsv(readFileSync(path.join(SHARED_DATA, 'screenshots_syncopika', 'boxes.csv'), 'utf8'));
    for (const b of boxes)
      suite.cropsForBaseline.push({
        path: path.join(SHARED_DATA, 'screenshots_syncopika', b.path),
        boxes: [[+b.x, +b.y, +b.w, +b.h]],
      });
  }
  const specFile = path.join(suite.tagDir, 'baseline.json');
  writeFileSync(specFile, JSON.stringify({ items: suite.cropsForBaseline, size: 522, threads: 2, warmup: 2 }));
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'baseline_resnet18.py'), specFile], {
    encoding: 'utf8',
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) return { error: `baseline failed: ${r.stderr.slice(-500)}` };
  const out = JSON.parse(r.stdout) as {
    results: Array<{ decode_ms: number; net_ms: number; total_ms: number; crops: number }>;
    [k: string]: unknown;
  };
  const withFaces = out.results.filter((x) => x.crops > 0);
  const total = stats(out.results.map((x) => x.total_ms));
  return {
    model: 'torchvision resnet18, eager, 522×522 input, fc removed (512-d), batch = the faces of one screenshot',
    weights: out.weights,
    torch: out.torch,
    threads: out.threads,
    screenshots: out.results.length,
    crops: out.results.reduce((s, x) => s + x.crops, 0),
    ms: {
      decodeAndCrop: stats(out.results.map((x) => x.decode_ms)),
      network: stats(out.results.map((x) => x.net_ms)),
      total,
      perCrop: stats(withFaces.map((x) => x.net_ms / x.crops)),
    },
    note: 'no face detection in the baseline (it gets our boxes for free), so the ratio is conservative',
    ratioOursToBaseline: Number.isFinite(suite.tagMedian) ? round(suite.tagMedian / total.median, 2) : undefined,
  };
}
