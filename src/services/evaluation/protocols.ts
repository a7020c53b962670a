import {
  confusionMatrix,
  meanAndStd,
  openSetMetrics,
  auroc,
  type Confusion,
  type OpenSetMetrics,
} from '../../core/eval/metrics.ts';
import { seededRandom, seedFrom } from '../../core/eval/random.ts';
import { chooseLabels, fewShotSplit, groupedStratifiedSplit } from '../../core/eval/split.ts';
import {
  centroidSimilarity,
  predict,
  trainHead,
  type HeadModel,
  type HeadTrainingOptions,
} from '../../core/head/softmax-head.ts';
import type { EvalItem } from './dataset.ts';

/**
 * The evaluation protocols, on items that are already embedded. Heads are fit with the same
 * `trainHead` (default options, default gate) that the bot uses, so the numbers are the bot's.
 */
export interface Sample {
  item: EvalItem;
  vector: Float32Array;
}

export interface Outcome {
  truth: string;
  /** The answer after the open-set gate (null = "unknown"). */
  label: string | null;
  /** The best softmax candidate, gate or not. */
  top1: string;
  confidence: number;
  /** Cosine to the top candidate's centroid: the gate's known-vs-unknown score. */
  similarity: number;
}

export interface Accuracy {
  queries: number;
  /** Share whose best candidate is right (closed-set top-1, the gate ignored). */
  top1: number;
  /** Share named right after the gate (an "unknown" answer counts as wrong). */
  labelAccuracy: number;
  /** Share the gate turned into "unknown". */
  unknownRate: number;
}

export interface OpenSetReport extends OpenSetMetrics {
  /** Where the never-taught faces came from. */
  unknownSource: string;
  score: 'centroid cosine of the top candidate';
  /** AUROC of the top softmax probability instead. */
  aurocProbability: number;
  /** The same operating points with the top softmax probability as the score. */
  probability: OpenSetMetrics;
  /** What the default gate (the one the bot uses) does. */
  gate: { unknownRejected: number; knownAccepted: number; knownNamedRight: number };
}

/** Import order: characters in order of first appearance, files in order, like `idoltag import`. */
function importOrder(samples: Sample[]): Sample[] {
  const first = new Map<string, number>();
  samples.forEach((s, i) => first.has(s.item.label) || first.set(s.item.label, i));
  return samples
    .map((s, i) => ({ s, i }))
    .sort((a, b) => first.get(a.s.item.label)! - first.get(b.s.item.label)! || a.i - b.i)
    .map((x) => x.s);
}

export async function fitHead(samples: Sample[], head?: HeadTrainingOptions): Promise<HeadModel> {
  const ordered = importOrder(samples);
  return trainHead(
    ordered.map((s) => s.vector),
    ordered.map((s) => s.item.label),
    head,
  );
}

export function query(head: HeadModel, samples: Sample[]): Outcome[] {
  return samples.map((s) => {
    const p = predict(head, s.vector);
    const top = p.candidates[0]?.label ?? '';
    const index = head.labels.indexOf(top);
    return {
      truth: s.item.label,
      label: p.label,
      top1: top,
      confidence: p.confidence,
      similarity: index >= 0 ? centroidSimilarity(head, index, s.vector) : -1,
    };
  });
}

export function accuracy(outcomes: Outcome[]): Accuracy {
  const n = outcomes.length;
  const share = (f: (o: Outcome) => boolean) => (n ? outcomes.filter(f).length / n : NaN);
  return {
    queries: n,
    top1: share((o) => o.top1 === o.truth),
    labelAccuracy: share((o) => o.label === o.truth),
    unknownRate: share((o) => o.label === null),
  };
}

export function perCharacter(outcomes: Outcome[]): Record<string, Accuracy> {
  const by = new Map<string, Outcome[]>();
  for (const o of outcomes) by.set(o.truth, [...(by.get(o.truth) ?? []), o]);
  return Object.fromEntries([...by.keys()].sort().map((k) => [k, accuracy(by.get(k)!)]));
}

export function openSet(known: Outcome[], unknown: Outcome[], unknownSource: string): OpenSetReport {
  const metrics = openSetMetrics(
    known.map((o) => ({ score: o.similarity, correct: o.top1 === o.truth })),
    unknown.map((o) => o.similarity),
  );
  const share = (list: Outcome[], f: (o: Outcome) => boolean) =>
    list.length ? list.filter(f).length / list.length : NaN;
  return {
    ...metrics,
    unknownSource,
    score: 'centroid cosine of the top candidate',
    aurocProbability: auroc(
      known.map((o) => o.confidence),
      unknown.map((o) => o.confidence),
    ),
    probability: openSetMetrics(
      known.map((o) => ({ score: o.confidence, correct: o.top1 === o.truth })),
      unknown.map((o) => o.confidence),
    ),
    gate: {
      unknownRejected: share(unknown, (o) => o.label === null),
      knownAccepted: share(known, (o) => o.label !== null),
      knownNamedRight: share(known, (o) => o.label === o.truth),
    },
  };
}

export interface TrainTest {
  train: Sample[];
  test: Sample[];
  /** How the split was made. */
  method: string;
}

/** The CSV's own split where it has one; a grouped stratified split (seeded) for the rest. */
export function trainTestSplit(samples: Sample[], seed: number, testFraction: number): TrainTest {
  const given = samples.filter((s) => s.item.split);
  const rest = samples.filter((s) => !s.item.split);
  const train = given.filter((s) => s.item.split === 'train');
  const test = given.filter((s) => s.item.split === 'test');
  if (rest.length > 0) {
    const split = groupedStratifiedSplit(
      rest.map((s) => s.item),
      testFraction,
      seededRandom(seedFrom('split', seed)),
    );
    train.push(...split.train.map((i) => rest[i]));
    test.push(...split.test.map((i) => rest[i]));
  }
  const parts = [
    given.length ? `the source's own train/test split (${given.length} items)` : '',
    rest.length
      ? `a grouped stratified split, ${Math.round(testFraction * 100)} % test, seed ${seed} (${rest.length} items)`
      : '',
  ].filter(Boolean);
  // Keep the original order within each side (the import order of the source).
  const order = new Map(samples.map((s, i) => [s, i]));
  const byOrder = (a: Sample, b: Sample) => order.get(a)! - order.get(b)!;
  return { train: train.sort(byOrder), test: test.sort(byOrder), method: parts.join(' + ') };
}

export interface ClosedReport {
  split: string;
  characters: number;
  train: number;
  overall: Accuracy;
  perCharacter: Record<string, Accuracy>;
  /** Rows: truth; columns: the answer after the gate. */
  confusion: Confusion;
}

/** Held-out share of characters for open-set numbers when no never-taught faces are given. */
const HELD_OUT_SHARE = 0.25;

export async function closedProtocol(
  samples: Sample[],
  options: { seed: number; testFraction: number; unknown?: Sample[]; head?: HeadTrainingOptions },
): Promise<{ closed: ClosedReport; openSet?: OpenSetReport }> {
  const { train, test, method } = trainTestSplit(samples, options.seed, options.testFraction);
  const taught = new Set(train.map((s) => s.item.label));
  const head = await fitHead(train, options.head);
  const outcomes = query(
    head,
    test.filter((s) => taught.has(s.item.label)),
  );
  const closed: ClosedReport = {
    split: method,
    characters: taught.size,
    train: train.length,
    overall: accuracy(outcomes),
    perCharacter: perCharacter(outcomes),
    confusion: confusionMatrix(
      outcomes.map((o) => o.truth),
      outcomes.map((o) => o.label),
    ),
  };
  const novel = [...test.filter((s) => !taught.has(s.item.label)), ...(options.unknown ?? [])];
  if (novel.length > 0) {
    return {
      closed,
      openSet: openSet(outcomes, query(head, novel), `${novel.length} faces of characters never taught`),
    };
  }
  if (taught.size < 3) return { closed };
  // No never-taught faces given: hold some characters out of a second head.
  const held = new Set(
    chooseLabels(
      [...taught],
      Math.max(1, Math.round(HELD_OUT_SHARE * taught.size)),
      seededRandom(seedFrom('held-out', options.seed)),
    ),
  );
  const head2 = await fitHead(
    train.filter((s) => !held.has(s.item.label)),
    options.head,
  );
  const known = query(
    head2,
    test.filter((s) => taught.has(s.item.label) && !held.has(s.item.label)),
  );
  const unknown = query(
    head2,
    samples.filter((s) => held.has(s.item.label)),
  );
  return { closed, openSet: openSet(known, unknown, `held out of a second head: ${[...held].join(', ')}`) };
}

export interface RunSummary {
  mean: number;
  std: number;
  runs: number[];
}

function summarise(values: number[]): RunSummary {
  return { ...meanAndStd(values), runs: values };
}

/** An open-set run: some characters held out (never taught), K shots of each other one taught. */
export interface HeldOutSplit {
  held: Set<string>;
  /** K faces of each character not held out. */
  support: Sample[];
  /** Their other faces. */
  queries: Sample[];
  /** Every face of the held-out characters. */
  heldOut: Sample[];
}

/** Holds `heldOut` of `labels` out, then splits K shots of each remaining character from its other faces. */
export function holdOutSplit(
  samples: Sample[],
  labels: string[],
  options: { heldOut: number; shots: number; random: () => number },
): HeldOutSplit {
  const held = new Set(chooseLabels(labels, options.heldOut, options.random));
  const kept = samples.filter((s) => !held.has(s.item.label));
  const split = fewShotSplit(
    kept.map((s) => s.item),
    options.shots,
    options.random,
  );
  return {
    held,
    support: split.support.map((i) => kept[i]),
    queries: split.query.map((i) => kept[i]),
    heldOut: samples.filter((s) => held.has(s.item.label)),
  };
}

export interface FewShotReport {
  shots: number;
  seeds: number;
  characters: number;
  skipped: string[];
  support: number;
  queries: number;
  top1: RunSummary;
  labelAccuracy: RunSummary;
  unknownRate: RunSummary;
}

export async function fewShotProtocol(
  samples: Sample[],
  options: { shots: number; seeds: number; seed: number; unknown?: Sample[]; head?: HeadTrainingOptions },
): Promise<{ fewShot: FewShotReport; openSet?: OpenSetReport }> {
  const items = samples.map((s) => s.item);
  const runs: Accuracy[] = [];
  let skipped: string[] = [];
  let support = 0;
  let queries = 0;
  const known: Outcome[] = [];
  const unknown: Outcome[] = [];
  const labels = [...new Set(items.map((i) => i.label))];
  let unknownSource = '';
  for (let r = 0; r < options.seeds; r++) {
    const split = fewShotSplit(items, options.shots, seededRandom(seedFrom('fewshot', options.seed, r)));
    skipped = split.skipped;
    const head = await fitHead(
      split.support.map((i) => samples[i]),
      options.head,
    );
    const outcomes = query(
      head,
      split.query.map((i) => samples[i]),
    );
    runs.push(accuracy(outcomes));
    support = split.support.length;
    queries = split.query.length;
    if (options.unknown?.length) {
      known.push(...outcomes);
      unknown.push(...query(head, options.unknown));
      unknownSource = `${options.unknown.length} faces of characters never taught, against every run's head`;
    } else if (labels.length >= 3) {
      // Open set: hold some characters out, teach K shots of the others, query both.
      const open = holdOutSplit(samples, labels, {
        heldOut: Math.max(1, Math.round(HELD_OUT_SHARE * labels.length)),
        shots: options.shots,
        random: seededRandom(seedFrom('fewshot-open', options.seed, r)),
      });
      const openHead = await fitHead(open.support, options.head);
      known.push(...query(openHead, open.queries));
      unknown.push(...query(openHead, open.heldOut));
      unknownSource = `${open.held.size} of ${labels.length} characters held out in each run (pooled over runs)`;
    }
  }
  const fewShot: FewShotReport = {
    shots: options.shots,
    seeds: options.seeds,
    characters: labels.length - skipped.length,
    skipped,
    support,
    queries,
    top1: summarise(runs.map((r) => r.top1)),
    labelAccuracy: summarise(runs.map((r) => r.labelAccuracy)),
    unknownRate: summarise(runs.map((r) => r.unknownRate)),
  };
  return { fewShot, openSet: known.length && unknown.length ? openSet(known, unknown, unknownSource) : undefined };
}

export interface DlcPlan {
  oldLabels: string[];
  newLabels: string[];
  oldTrain: Sample[];
  oldTest: Sample[];
  newSamples: Sample[];
  split: string;
}

/**
 * "Downloadable content": the embedder and head know most characters; the new ones arrive later
 * and are taught K shots each, through the head only.
 */
export function planDlc(
  samples: Sample[],
  options: { newLabels?: string[]; newShare?: number; seed: number; testFraction: number },
): DlcPlan {
  const labels = [...new Set(samples.map((s) => s.item.label))].sort();
  const newLabels = options.newLabels?.length
    ? options.newLabels.filter((l) => labels.includes(l)).sort()
    : chooseLabels(
        labels,
        Math.max(1, Math.round((options.newShare ?? 0.25) * labels.length)),
        seededRandom(seedFrom('dlc-new', options.seed)),
      );
  if (newLabels.length === 0) throw new Error('None of the --new characters occur in the data.');
  const fresh = new Set(newLabels);
  const old = samples.filter((s) => !fresh.has(s.item.label));
  const { train, test, method } = trainTestSplit(old, options.seed, options.testFraction);
  return {
    oldLabels: labels.filter((l) => !fresh.has(l)),
    newLabels,
    oldTrain: train,
    oldTest: test,
    newSamples: samples.filter((s) => fresh.has(s.item.label)),
    split: method,
  };
}

export interface DlcReport {
  oldCharacters: string[];
  newCharacters: string[];
  shots: number;
  seeds: number;
  split: string;
  backbone: string;
  /** The old characters before anything new was taught. */
  oldBefore: Accuracy;
  /** The old characters after the new ones were taught (forgetting shows here). */
  oldAfter: { top1: RunSummary; labelAccuracy: RunSummary; queries: number };
  /** The new characters' faces not used as shots. */
  new: { top1: RunSummary; labelAccuracy: RunSummary; unknownRate: RunSummary; queries: number; skipped: string[] };
}

export async function dlcProtocol(
  plan: DlcPlan,
  options: { shots: number; seeds: number; seed: number; backbone: string; head?: HeadTrainingOptions },
): Promise<{ dlc: DlcReport; openSet?: OpenSetReport }> {
  const head0 = await fitHead(plan.oldTrain, options.head);
  const before = query(head0, plan.oldTest);
  const open = plan.newSamples.length
    ? openSet(
        before,
        query(head0, plan.newSamples),
        `the ${plan.newLabels.length} new characters' faces, before they were taught`,
      )
    : undefined;
  const oldRuns: Accuracy[] = [];
  const newRuns: Accuracy[] = [];
  let skipped: string[] = [];
  let newQueries = 0;
  for (let r = 0; r < options.seeds; r++) {
    const split = fewShotSplit(
      plan.newSamples.map((s) => s.item),
      options.shots,
      seededRandom(seedFrom('dlc', options.seed, r)),
    );
    skipped = split.skipped;
    const head = await fitHead([...plan.oldTrain, ...split.support.map((i) => plan.newSamples[i])], options.head);
    oldRuns.push(accuracy(query(head, plan.oldTest)));
    const newOutcomes = query(
      head,
      split.query.map((i) => plan.newSamples[i]),
    );
    newRuns.push(accuracy(newOutcomes));
    newQueries = newOutcomes.length;
  }
  return {
    dlc: {
      oldCharacters: plan.oldLabels,
      newCharacters: plan.newLabels,
      shots: options.shots,
      seeds: options.seeds,
      split: plan.split,
      backbone: options.backbone,
      oldBefore: accuracy(before),
      oldAfter: {
        top1: summarise(oldRuns.map((r) => r.top1)),
        labelAccuracy: summarise(oldRuns.map((r) => r.labelAccuracy)),
        queries: plan.oldTest.length,
      },
      new: {
        top1: summarise(newRuns.map((r) => r.top1)),
        labelAccuracy: summarise(newRuns.map((r) => r.labelAccuracy)),
        unknownRate: summarise(newRuns.map((r) => r.unknownRate)),
        queries: newQueries,
        skipped,
      },
    },
    openSet: open,
  };
}
