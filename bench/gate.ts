/**
 * The open-set gate with few-shot characters: `npx tsx bench/gate.ts <known> --unknown <source>
 * [--embedder default|imagenet|<version>] [--out bench/results/gate-<name>.json]`.
 *
 * Embeds the known crops (an ImageFolder tree or labels CSV) and the never-taught crops once, then in
 * each of 5 seeded runs holds 10 known characters out (never taught, same game), teaches 5 shots of
 * the others, and queries: the taught characters' other faces, the held-out characters' faces and
 * the --unknown faces. Compares the gate before this calibration (leave-one-out floor and softmax
 * probability 0.35) with the default one (softmax-head.ts), at the same heads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chooseLabels, fewShotSplit } from '../src/core/eval/split.ts';
import { seededRandom, seedFrom } from '../src/core/eval/random.ts';
import { predict, trainHead, type HeadTrainingOptions } from '../src/core/head/softmax-head.ts';
import { loadEvalItems, type EvalItem } from '../src/services/evaluation/dataset.ts';
import { EmbeddingCache } from '../src/services/evaluation/embed.ts';
import { openServices } from '../src/services/index.ts';
import { benchServiceOptions } from './common.ts';
import { resolveVersionName } from '../src/services/model-registry.ts';
import { printReport } from './protocols.ts';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const known = args[0];
const unknownSource = option('--unknown');
if (!known || !unknownSource)
  throw new Error('usage: npx tsx bench/gate.ts <known> --unknown <source> [--embedder name] [--out file]');
const SHOTS = 5;
const HELD_OUT = 10;
const SEEDS = 5;

const dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-gate-'));
const services = await openServices(benchServiceOptions(dataDir));
try {
  if (option('--embedder')) await services.activateModel(resolveVersionName(option('--embedder')!));
  const cache = new EmbeddingCache(services, true);
  const embed = async (items: EvalItem[]) => {
    const out: Array<{ item: EvalItem; vector: Float32Array }> = [];
    for (const item of items) {
      const e = await cache.get(item.path);
      if (e.embedding) out.push({ item, vector: e.embedding });
    }
    return out;
  };
  const samples = await embed(loadEvalItems([known]));
  const knownLabels = new Set(samples.map((s) => s.item.label));
  const others = (await embed(loadEvalItems([unknownSource]))).filter((s) => !knownLabels.has(s.item.label));
  const gates: Record<string, HeadTrainingOptions> = {
    before: { knownAcceptance: 0.98, neverTaughtRejection: null, minProbability: 0.35 },
    default: {},
  };
  const tally = Object.fromEntries(
    Object.keys(gates).map((g) => [
      g,
      {
        named: 0,
        top1: 0,
        queries: 0,
        sameGameUnknown: 0,
        sameGame: 0,
        otherUnknown: 0,
        other: 0,
        thresholds: [] as number[],
      },
    ]),
  );
  const labels = [...knownLabels].sort();
  for (let run = 0; run < SEEDS; run++) {
    const random = seededRandom(seedFrom('gate', run));
    const held = new Set(chooseLabels(labels, HELD_OUT, random));
    const kept = samples.filter((s) => !held.has(s.item.label));
    const split = fewShotSplit(
      kept.map((s) => s.item),
      SHOTS,
      random,
    );
    const support = split.support.map((i) => kept[i]);
    for (const [name, options] of Object.entries(gates)) {
      const head = await trainHead(
        support.map((s) => s.vector),
        support.map((s) => s.item.label),
        options,
      );
      const t = tally[name];
      t.thresholds.push(Number(head.openSetThreshold.toFixed(4)));
      for (const i of split.query) {
        const p = predict(head, kept[i].vector);
        t.queries++;
        if (p.label === kept[i].item.label) t.named++;
        if (p.candidates[0]?.label === kept[i].item.label) t.top1++;
      }
      for (const s of samples.filter((x) => held.has(x.item.label)))
        t.sameGame++, predict(head, s.vector).label === null && t.sameGameUnknown++;
      for (const s of others) t.other++, predict(head, s.vector).label === null && t.otherUnknown++;
    }
  }
  const round = (x: number) => Number(x.toFixed(3));
  const report = {
    date: new Date().toISOString(),
    embedder: services.models.activeVersion(),
    known: path.relative(process.cwd(), known),
    unknown: path.relative(process.cwd(), unknownSource),
    protocol: `${SEEDS} runs: ${HELD_OUT} known characters held out (never taught), ${SHOTS} shots of each other one taught, the rest queried`,
    gates: Object.fromEntries(
      Object.entries(tally).map(([name, t]) => [
        name,
        {
          settings:
            name === 'before' ? 'leave-one-out floor 0.98, softmax probability ≥ 0.35' : 'softmax-head.ts defaults',
          namedRight: round(t.named / t.queries),
          bestCandidate: round(t.top1 / t.queries),
          neverTaughtSameGameUnknown: round(t.sameGameUnknown / t.sameGame),
          neverTaughtOtherUnknown: round(t.otherUnknown / t.other),
          queries: t.queries,
          thresholds: t.thresholds,
        },
      ]),
    ),
  };
  printReport(report, option('--out'));
} finally {
  await services.close();
  rmSync(dataDir, { recursive: true, force: true });
}
