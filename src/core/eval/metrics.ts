/**
 * Pure evaluation metrics. Labels are strings; a prediction of `null` means the system answered
 * "unknown". Nothing here knows about models or storage.
 */

/** Share of items whose prediction equals the truth (null never counts as correct). */
export function topOneAccuracy(truth: readonly string[], predicted: ReadonlyArray<string | null>): number {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  if (truth.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

export interface Confusion {
  /** Row labels (the truths), sorted. */
  labels: string[];
  /** Column labels: every truth label, then any other predicted label, then "unknown" if any. */
  columns: string[];
  /** matrix[row][column] = count. */
  matrix: number[][];
  /** Per truth label: correct / total. */
  recall: Record<string, number>;
  /** Mean of the per-label recalls (balanced accuracy). */
  balancedAccuracy: number;
}

export const UNKNOWN_COLUMN = '(unknown)';

export function confusionMatrix(truth: readonly string[], predicted: ReadonlyArray<string | null>): Confusion {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  const labels = [...new Set(truth)].sort();
  const extra = [...new Set(predicted.filter((p): p is string => p !== null && !labels.includes(p)))].sort();
  const columns = [...labels, ...extra, ...(predicted.some((p) => p === null) ? [UNKNOWN_COLUMN] : [])];
  const rowOf = new Map(labels.map((l, i) => [l, i]));
  const colOf = new Map(columns.map((l, i) => [l, i]));
  const matrix = labels.map(() => columns.map(() => 0));
  for (let i = 0; i < truth.length; i++) {
    matrix[rowOf.get(truth[i])!][colOf.get(predicted[i] ?? UNKNOWN_COLUMN)!]++;
  }
  const recall: Record<string, number> = {};
  labels.forEach((l, r) => {
    const total = matrix[r].reduce((a, b) => a + b, 0);
    recall[l] = total > 0 ? matrix[r][colOf.get(l)!] / total : NaN;
  });
  const recalls = Object.values(recall);
  const balancedAccuracy = recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : NaN;
  return { labels, columns, matrix, recall, balancedAccuracy };
}

/**
 * Area under the ROC curve of a score that should be higher for positives: the probability that a
 * random positive outscores a random negative, ties counting one half (Mann–Whitney U / (P·N)).
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return NaN;
  const all = [...positives.map((s) => ({ s, pos: true })), ...negatives.map((s) => ({ s, pos: false }))].sort(
    (a, b) => a.s - b.s,
  );
  // Average ranks over ties (1-based).
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].s === all[i].s) j++;
    const avgRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k].pos) rankSumPos += avgRank;
    i = j + 1;
  }
  const P = positives.length;
  const N = negatives.length;
  return (rankSumPos - (P * (P + 1)) / 2) / (P * N);
}

export interface ThresholdPoint {
  /** Accept items with score ≥ threshold; Infinity means accept nothing. */
  threshold: number;
  /** Share of accepted items that are good (NaN when nothing is accepted). */
  precision: number;
  /** Share of all items accepted. */
  coverage: number;
  /** Whether the target was reached with anything accepted. */
  reached: boolean;
}

/**
 * The most accepting threshold whose precision (good among accepted) is at least `target`. Cuts are
 * only made between distinct scores, so tied items are accepted or rejected together.
 */
export function thresholdAtPrecision(
  scores: readonly number[],
  good: readonly boolean[],
  target: number,
): ThresholdPoint {
  if (scores.length !== good.length) throw new Error('scores and flags differ in length');
  const order = scores.map((s, i) => ({ s, g: good[i] })).sort((a, b) => b.s - a.s);
  let best: ThresholdPoint = { threshold: Infinity, precision: NaN, coverage: 0, reached: false };
  let accepted = 0;
  let goodAccepted = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j].s === order[i].s) {
      accepted++;
      if (order[j].g) goodAccepted++;
      j++;
    }
    const precision = goodAccepted / accepted;
    if (precision >= target)
      best = { threshold: order[i].s, precision, coverage: accepted / order.length, reached: true };
    i = j;
  }
  return best;
}

/**
 * The least accepting threshold that still accepts at least `recall` of the positives; the standard
 * open-set operating point ("true negative rate at 95 % true positive rate").
 */
export function thresholdAtRecall(positives: readonly number[], recall: number): number {
  if (positives.length === 0) return -Infinity;
  const sorted = positives.slice().sort((a, b) => b - a);
  const needed = Math.max(1, Math.ceil(recall * sorted.length - 1e-9));
  return sorted[needed - 1];
}

export function shareBelow(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return NaN;
  return scores.filter((s) => s < threshold).length / scores.length;
}

export interface OpenSetItem {
  /** Higher means "more likely a taught character". */
  score: number;
  /** For taught characters' faces: whether the named character is right. */
  correct?: boolean;
}

export interface OpenSetMetrics {
  known: number;
  unknown: number;
  /** AUROC of the score, taught faces (positives) against never-taught ones (negatives). */
  auroc: number;
  /**
   * At the most accepting threshold where ≥ `precisionTarget` of the named faces are named right
   * (never-taught faces that get a name count as wrong): the share of never-taught faces rejected,
   * and the share of taught faces still named.
   */
  atPrecision: {
    target: number;
    threshold: number;
    unknownRejected: number;
    knownAccepted: number;
    precision: number;
    reached: boolean;
  };
  /** At the threshold that keeps `recallTarget` of taught faces: the share of never-taught faces rejected. */
  atRecall: { target: number; threshold: number; unknownRejected: number };
}

export function openSetMetrics(
  known: readonly OpenSetItem[],
  unknown: readonly number[],
  precisionTarget = 0.95,
  recallTarget = 0.95,
): OpenSetMetrics {
  const knownScores = known.map((k) => k.score);
  const scores = [...knownScores, ...unknown];
  const good = [...known.map((k) => k.correct ?? true), ...unknown.map(() => false)];
  const p = thresholdAtPrecision(scores, good, precisionTarget);
  const recallThreshold = thresholdAtRecall(knownScores, recallTarget);
  return {
    known: known.length,
    unknown: unknown.length,
    auroc: auroc(knownScores, unknown),
    atPrecision: {
      target: precisionTarget,
      threshold: p.threshold,
      unknownRejected: p.reached ? shareBelow(unknown, p.threshold) : 1,
      knownAccepted: p.reached ? 1 - shareBelow(knownScores, p.threshold) : 0,
      precision: p.precision,
      reached: p.reached,
    },
    atRecall: {
      target: recallTarget,
      threshold: recallThreshold,
      unknownRejected: shareBelow(unknown, recallThreshold),
    },
  };
}

export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { mean: NaN, std: NaN };
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance = finite.length > 1 ? finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
