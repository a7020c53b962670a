/**
 * Which score tells a taught character's face from a never-taught one best, and how much the head
 * itself leaves on the table: `npx tsx bench/gate-scores.ts <held-out CG idols> [--embedder name] [--out file]`.
 *
 * - Gate scores: the held-out CG idols taught 5 shots each (5 seeded runs), queried with their other
 *   faces and with never-taught newgame8 + keima3 faces. For each candidate score of the top softmax
 *   candidate, the AUROC between queries named right (best candidate) and never-taught faces:
 *   cosine to its centroid (the gate's score), to its nearest taught face, the mean of its 3 nearest,
 *   centroid cosine minus the runner-up's, and the softmax probability.
 * - Closed-set ceiling: nagadomi10's test rows with heads on its train rows. The softmax head's best
 *   candidate and named right, what the gate turned away, and the best candidate of a nearest-centroid
 *   and a nearest-neighbour classifier and of the softmax head at other L2 weights.
 */
import { SHARED_DATA } from './env.ts';
import path from 'node:path';
import { auroc } from '../src/core/eval/metrics.ts';
import { seededRandom, seedFrom } from '../src/core/eval/random.ts';
import { fewShotSplit } from '../src/core/eval/split.ts';
import { centroidSimilarity, predict, type HeadModel } from '../src/core/head/softmax-head.ts';
import { sharedLabels } from '../src/services/evaluation/index.ts';
import { fitHead, trainTestSplit, type Sample } from '../src/services/evaluation/protocols.ts';
import { dot } from '../src/core/vector.ts';
import { embedSources, heldOutIdolsArgs, printReport, withScratchServices } from './common.ts';

const { heldOutIdols, option } = heldOutIdolsArgs(
  'npx tsx bench/gate-scores.ts <held-out CG idols> [--embedder name] [--out file]',
);
const csv = (set: string) => sharedLabels(SHARED_DATA, set);
const SHOTS = 5;
const RUNS = 5;
const round = (x: number) => Number(x.toFixed(4));

const SCORES = {
  centroidCosine: (s: Scored) => s.centroid,
  nearestTaughtFace: (s: Scored) => s.nearest,
  meanOf3NearestTaughtFaces: (s: Scored) => s.nearest3,
  centroidMarginOverRunnerUp: (s: Scored) => s.margin,
  softmaxProbability: (s: Scored) => s.probability,
};

interface Scored {
  rightBest: boolean;
  centroid: number;
  nearest: number;
  nearest3: number;
  margin: number;
  probability: number;
}

/** The top softmax candidate's scores for one query, against the faces the head was taught. */
function scoreQuery(head: HeadModel, taught: Sample[], query: Sample, truth: string | null): Scored {
  const p = predict(head, query.vector);
  const top = p.candidates[0].label;
  const c = head.labels.indexOf(top);
  const own = taught
    .filter((s) => s.item.label === top)
    .map((s) => dot(s.vector, query.vector))
    .sort((a, b) => b - a);
  let runnerUp = -Infinity;
  for (let k = 0; k < head.labels.length; k++)
    if (k !== c) runnerUp = Math.max(runnerUp, centroidSimilarity(head, k, query.vector));
  const centroid = centroidSimilarity(head, c, query.vector);
  const near = own.slice(0, 3);
  return {
    rightBest: top === truth,
    centroid,
    nearest: own[0],
    nearest3: near.reduce((a, b) => a + b, 0) / near.length,
    margin: centroid - runnerUp,
    probability: p.confidence,
  };
}

function centroidsOf(samples: Sample[]): Map<string, Float32Array> {
  const sums = new Map<string, Float32Array>();
  for (const s of samples) {
    const sum = sums.get(s.item.label) ?? new Float32Array(s.vector.length);
    for (let d = 0; d < sum.length; d++) sum[d] += s.vector[d];
    sums.set(s.item.label, sum);
  }
  return sums;
}

function argmaxLabel<T>(entries: Iterable<[string, T]>, score: (value: T) => number): string {
  let best = '';
  let top = -Infinity;
  for (const [label, value] of entries) {
    const s = score(value);
    if (s > top) [best, top] = [label, s];
  }
  return best;
}

await withScratchServices('gate-scores', option('--embedder'), async (services, cache) => {
  const embed = (sources: string[]) => embedSources(cache, sources);

  const idols = await embed([heldOutIdols]);
  const neverTaught = await embed([csv('newgame8'), csv('keima3')]);
  const known: Scored[] = [];
  const unknown: Scored[] = [];
  for (let r = 0; r < RUNS; r++) {
    const split = fewShotSplit(
      idols.map((s) => s.item),
      SHOTS,
      seededRandom(seedFrom('fewshot', 1, r)),
    );
    const support = split.support.map((i) => idols[i]);
    const head = await fitHead(support);
    known.push(...split.query.map((i) => scoreQuery(head, support, idols[i], idols[i].item.label)));
    unknown.push(...neverTaught.map((q) => scoreQuery(head, support, q, null)));
  }
  const right = known.filter((k) => k.rightBest);
  const gateScores = Object.fromEntries(
    Object.entries(SCORES).map(([name, f]) => [name, round(auroc(right.map(f), unknown.map(f)))]),
  );

  const nagadomi = await embed([csv('nagadomi10')]);
  const { train, test } = trainTestSplit(nagadomi, 1, 0.3);
  const head = await fitHead(train);
  const outcomes = test.map((q) => ({ q, p: predict(head, q.vector) }));
  const share = (n: number) => round(n / test.length);
  const centroids = centroidsOf(train);
  const nearestCentroid = test.filter(
    (q) => argmaxLabel(centroids, (c) => dot(c, q.vector) / Math.sqrt(dot(c, c))) === q.item.label,
  ).length;
  const nearestFace = test.filter(
    (q) =>
      argmaxLabel(
        train.map((s) => [s.item.label, s.vector] as [string, Float32Array]),
        (v) => dot(v, q.vector),
      ) === q.item.label,
  ).length;
  const byL2: Record<string, number> = {};
  for (const l2 of [1e-5, 3e-5, 1e-4, 1e-3, 1e-2]) {
    const h = await fitHead(train, { l2 });
    byL2[String(l2)] = share(test.filter((q) => predict(h, q.vector).candidates[0].label === q.item.label).length);
  }
  printReport(
    {
      date: new Date().toISOString(),
      embedder: services.embedders.activeVersion(),
      heldOutIdols: path.relative(process.cwd(), heldOutIdols),
      gateScoresAuroc: {
        what: `held-out CG idols ${SHOTS}-shot, ${RUNS} runs: queries whose best candidate is right (${right.length}) against never-taught newgame8 + keima3 faces (${unknown.length}, against every run's head)`,
        ...gateScores,
      },
      closedNagadomi10: {
        queries: test.length,
        softmaxBestCandidate: share(outcomes.filter((o) => o.p.candidates[0].label === o.q.item.label).length),
        softmaxNamedRight: share(outcomes.filter((o) => o.p.label === o.q.item.label).length),
        rightBestTurnedAwayByGate: outcomes.filter(
          (o) => o.p.label === null && o.p.candidates[0].label === o.q.item.label,
        ).length,
        nearestCentroidBestCandidate: share(nearestCentroid),
        nearestFaceBestCandidate: share(nearestFace),
        softmaxBestCandidateByL2: byL2,
      },
    },
    option('--out'),
  );
});
