import type { FacePrediction, LabelCandidate } from '../types.ts';
import { classBalancedSubsample, fitReducedSoftmax, type ReducedFitPlan } from './reduced-fit.ts';
import { fitSoftmax } from './softmax-fit.ts';

/**
 * The character head: class-balanced multinomial logistic regression on the (centred) embeddings,
 * plus an open-set gate. Softmax always picks one of the taught characters, even for a face nobody
 * taught, so a prediction is only kept when the face is also close enough to that character's
 * taught faces (cosine to the class centroid, threshold calibrated on the taught data).
 */
export interface HeadModel {
  labels: string[];
  dim: number;
  /** C × D weights, row-major, applied to (x - mean). */
  weights: Float32Array;
  bias: Float32Array;
  mean: Float32Array;
  /** L2-normalised class centroids, C × D. */
  centroids: Float32Array;
  /** Minimum cosine to the predicted class centroid. */
  openSetThreshold: number;
  /**
   * Per character, at most openSetThreshold: lower for a character whose own taught faces sit looser
   * (few or varied pictures), so that it keeps KEEP_TAUGHT_SHARE of them. Absent in older heads.
   */
  classThresholds?: number[];
  /** Minimum softmax probability of the top class. */
  minProbability: number;
  trainedOn: number;
}

/**
 * The open-set gate's floor: it accepts at least this share of taught faces (leave-one-out) and bounds each
 * character's own threshold. 0.99 names more than 0.98 and, unlike 0.995, keeps v5's never-taught faces answered
 * "unknown" above the 0.80 target (docs/models.md, "The open-set gate").
 */
export const DEFAULT_KNOWN_ACCEPTANCE = 0.99;

/**
 * The gate also looks at what a never-taught face looks like to this head: each taught face's best cosine to
 * *another* character's centroid. The threshold rises to the NEVER_TAUGHT_REJECTION quantile of those, but never
 * above the leave-one-out similarity that KEEP_TAUGHT_SHARE of the taught faces reach, overall and per character
 * (classThresholds), so taught characters stay named. 0.3 named the most of the quantiles measured, and never-taught
 * faces stayed answered "unknown" above the 0.80 target (docs/models.md, "The open-set gate").
 */
export const NEVER_TAUGHT_REJECTION = 0.3;
export const KEEP_TAUGHT_SHARE = 0.95;
/** Faces the never-taught simulation scores at most (class-balanced), so big guilds refit fast. */
const NEVER_TAUGHT_SAMPLE = 1000;

export interface HeadTrainingOptions {
  l2?: number;
  maxIterations?: number;
  /** Share of taught faces the open-set gate must accept (per-face, class-balanced). */
  knownAcceptance?: number;
  minProbability?: number;
  /** NEVER_TAUGHT_REJECTION by default; null turns the never-taught simulation off (measurements). */
  neverTaughtRejection?: number | null;
  /** KEEP_TAUGHT_SHARE by default; for measurements. */
  keepTaughtShare?: number;
  /**
   * 'auto' (default): the exact fit unless faces × dims × characters exceeds EXACT_FIT_WORK, then
   * the reduced fit. 'exact' or an explicit plan are for measurements.
   */
  fit?: 'auto' | 'exact' | ReducedFitPlan;
  /**
   * An earlier head of the same embedding space to start from (its characters keep their weights,
   * new ones start at zero). The loss is convex, so this only changes how fast the fit gets there:
   * after a /teach the old head is already close, and L-BFGS stops after a few steps.
   */
  warmStart?: HeadModel;
}

/**
 * The earlier head's weights as a start for the new labels, C × D row-major plus biases, re-centred
 * on the new mean: w·(x − m_old) + b = w·(x − m_new) + (b + w·(m_new − m_old)).
 */
export function warmStartWeights(
  previous: HeadModel | undefined,
  labelNames: string[],
  mean: Float32Array,
): { weights: Float32Array; bias: Float32Array } | undefined {
  const D = mean.length;
  if (!previous || previous.dim !== D || previous.labels.length < 2) return undefined;
  const C = labelNames.length;
  const weights = new Float32Array(C * D);
  const bias = new Float32Array(C);
  const old = new Map(previous.labels.map((l, i) => [l, i]));
  let kept = 0;
  labelNames.forEach((label, c) => {
    const p = old.get(label);
    if (p === undefined) return;
    kept++;
    let shift = 0;
    for (let d = 0; d < D; d++) {
      const w = previous.weights[p * D + d];
      weights[c * D + d] = w;
      shift += w * (mean[d] - previous.mean[d]);
    }
    bias[c] = previous.bias[p] + shift;
  });
  return kept >= 2 ? { weights, bias } : undefined;
}

/**
 * Above this much work per gradient step (faces × dims × characters) the softmax is fit on a
 * class-balanced subsample in a discriminative subspace (reduced-fit.ts) instead of on every face:
 * the exact fit of 50k faces × 200 characters took minutes. Below it nothing changes.
 */
export const EXACT_FIT_WORK = 1e8;
/** The top softmax probability a name needs; the cosine gate does the rest (see NEVER_TAUGHT_REJECTION). */
export const DEFAULT_MIN_PROBABILITY = 0.2;
const CALIBRATION_PER_CLASS = 64;

/**
 * How the reduced fit is sized: about 5k faces (at least 25 per character), the class means plus 64
 * within-class directions (shared variation such as pose and colouring, which the head must learn to
 * discount), at most 20 L-BFGS steps. Measured on synthetic 50k × 200 data: held-out top-1 0.995
 * with these settings, 0.95 with 15 faces per character, 0.89 without the within-class directions;
 * 20 steps and 100 steps give the same.
 */
export function reducedFitPlan(N: number, D: number, C: number, maxIterations?: number): ReducedFitPlan {
  return {
    perClass: Math.max(25, Math.ceil(5000 / C)),
    extraDims: Math.max(0, Math.min(64, D - C)),
    maxIterations: Math.min(maxIterations ?? 200, 20),
  };
}

export async function trainHead(
  embeddings: Float32Array[],
  labels: string[],
  options: HeadTrainingOptions = {},
): Promise<HeadModel> {
  if (embeddings.length !== labels.length) throw new Error('embeddings and labels differ in length');
  const labelNames = [...new Set(labels)].sort();
  const C = labelNames.length;
  const N = embeddings.length;
  const D = embeddings[0]?.length ?? 0;
  const minProbability = options.minProbability ?? DEFAULT_MIN_PROBABILITY;
  if (C === 0 || N === 0) {
    return {
      labels: [],
      dim: D,
      weights: new Float32Array(0),
      bias: new Float32Array(0),
      mean: new Float32Array(D),
      centroids: new Float32Array(0),
      openSetThreshold: 1,
      minProbability,
      trainedOn: 0,
    };
  }
  const index = new Map(labelNames.map((l, i) => [l, i]));
  const classOf = Int32Array.from(labels, (l) => index.get(l)!);
  const counts = new Float64Array(C);
  for (const c of classOf) counts[c]++;

  // One pass over the data: per-class sums give the mean, the centroids and the open-set calibration.
  const sums = new Float64Array(C * D);
  for (let i = 0; i < N; i++) {
    const e = embeddings[i];
    const row = classOf[i] * D;
    for (let d = 0; d < D; d++) sums[row + d] += e[d];
  }
  const mean = new Float32Array(D);
  for (let d = 0; d < D; d++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += sums[c * D + d];
    mean[d] = s / N;
  }
  const centroids = new Float32Array(C * D);
  for (let k = 0; k < C * D; k++) centroids[k] = sums[k];
  for (let c = 0; c < C; c++) normaliseRow(centroids, c, D);

  const weights = new Float32Array(C * D);
  const bias = new Float32Array(C);
  const fit = options.fit ?? 'auto';
  const reduced = C > 1 && (typeof fit === 'object' || (fit === 'auto' && N * D * C > EXACT_FIT_WORK));
  if (C > 1) {
    const start = warmStartWeights(options.warmStart, labelNames, mean);
    if (reduced) {
      const plan = typeof fit === 'object' ? fit : reducedFitPlan(N, D, C, options.maxIterations);
      await fitReducedSoftmax(embeddings, classOf, counts, sums, mean, C, options.l2, plan, weights, bias, start);
    } else {
      const X = new Float32Array(N * D);
      for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) X[i * D + d] = embeddings[i][d] - mean[d];
      let init: Float64Array | undefined;
      if (start) {
        // The fit's layout: W as D × C, then b.
        init = new Float64Array(D * C + C);
        for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) init[d * C + c] = start.weights[c * D + d];
        for (let c = 0; c < C; c++) init[D * C + c] = start.bias[c];
      }
      const params = await fitSoftmax(X, classOf, counts, N, D, C, options.l2, options.maxIterations ?? 200, init);
      // Stored row-major per class (C × D) for prediction.
      for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c * D + d] = params[d * C + c];
      for (let c = 0; c < C; c++) bias[c] = params[D * C + c];
    }
  }

  return {
    labels: labelNames,
    dim: D,
    weights,
    bias,
    mean,
    centroids,
    minProbability,
    trainedOn: N,
    // A large guild's gate is calibrated on up to CALIBRATION_PER_CLASS faces of each character.
    ...calibrateOpenSet(
      embeddings,
      classOf,
      counts,
      sums,
      centroids,
      C,
      D,
      options.knownAcceptance ?? DEFAULT_KNOWN_ACCEPTANCE,
      options.neverTaughtRejection === undefined ? NEVER_TAUGHT_REJECTION : options.neverTaughtRejection,
      reduced ? classBalancedSubsample(classOf, C, CALIBRATION_PER_CLASS, 3).rows : undefined,
      options.keepTaughtShare ?? KEEP_TAUGHT_SHARE,
    ),
  };
}

function normaliseRow(m: Float32Array, row: number, D: number): void {
  let s = 0;
  for (let d = 0; d < D; d++) s += m[row * D + d] ** 2;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let d = 0; d < D; d++) m[row * D + d] *= inv;
}

/**
 * Known faces: cosine to their own class centroid with themselves left out. The floor accepts
 * `acceptance` of them (class-balanced); then the threshold rises towards where never-taught faces
 * sit (see NEVER_TAUGHT_REJECTION). With S the class sum, the left-out centroid is S − e: its dot
 * with e is S·e − |e|², its squared norm |S|² − 2 S·e + |e|², so one dot product per face suffices.
 */
function calibrateOpenSet(
  embeddings: Float32Array[],
  classOf: Int32Array,
  counts: Float64Array,
  sums: Float64Array,
  centroids: Float32Array,
  C: number,
  D: number,
  acceptance: number,
  rejection: number | null,
  rows: ArrayLike<number> | undefined,
  keepTaughtShare: number,
): { openSetThreshold: number; classThresholds?: number[] } {
  const sumNorms = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += sums[c * D + d] ** 2;
    sumNorms[c] = s;
  }
  // Each character weighs the same: a face's weight is 1 / (faces of its character scored).
  const scoredPerClass = new Float64Array(C);
  const count = rows ? rows.length : embeddings.length;
  for (let k = 0; k < count; k++) scoredPerClass[classOf[rows ? rows[k] : k]]++;
  const taught: Weighted[] = [];
  const perClass: Weighted[][] = Array.from({ length: C }, () => []);
  for (let k = 0; k < count; k++) {
    const i = rows ? rows[k] : k;
    const c = classOf[i];
    if (counts[c] < 2) continue;
    const e = embeddings[i];
    const row = c * D;
    let se = 0;
    let ee = 0;
    for (let d = 0; d < D; d++) {
      se += sums[row + d] * e[d];
      ee += e[d] * e[d];
    }
    const norm = sumNorms[c] - 2 * se + ee;
    const face = { sim: (se - ee) / Math.sqrt(norm > 0 ? norm : 1), weight: 1 / scoredPerClass[c] };
    taught.push(face);
    perClass[c].push(face);
  }
  if (taught.length === 0) return { openSetThreshold: 0.5 };
  const floor = weightedQuantile(taught, 1 - acceptance);
  if (C < 2 || rejection === null) return { openSetThreshold: floor };
  const neverTaught = neverTaughtSimilarities(embeddings, classOf, centroids, C, D);
  const target = Math.min(weightedQuantile(neverTaught, rejection), weightedQuantile(taught, 1 - keepTaughtShare));
  const global = Math.max(floor, target);
  const classThresholds = perClass.map((own) =>
    own.length === 0 ? global : Math.max(floor, Math.min(global, weightedQuantile(own, 1 - keepTaughtShare))),
  );
  return { openSetThreshold: global, classThresholds };
}

interface Weighted {
  sim: number;
  weight: number;
}

/** The smallest value with at least `share` of the total weight at or below it. */
function weightedQuantile(values: Weighted[], share: number): number {
  const sorted = values.slice().sort((a, b) => a.sim - b.sim);
  const total = sorted.reduce((s, x) => s + x.weight, 0);
  let cum = 0;
  for (const v of sorted) {
    cum += v.weight;
    if (cum >= share * total) return v.sim;
  }
  return sorted[sorted.length - 1].sim;
}

/** Each (sampled) taught face's best cosine to another character's centroid: a never-taught face, simulated. */
function neverTaughtSimilarities(
  embeddings: Float32Array[],
  classOf: Int32Array,
  centroids: Float32Array,
  C: number,
  D: number,
): Weighted[] {
  const sample = classBalancedSubsample(classOf, C, Math.max(2, Math.ceil(NEVER_TAUGHT_SAMPLE / C)), 5);
  const out: Weighted[] = [];
  for (const i of sample.rows) {
    const e = embeddings[i];
    const own = classOf[i];
    let best = -Infinity;
    for (let c = 0; c < C; c++) {
      if (c === own) continue;
      let s = 0;
      const row = c * D;
      for (let d = 0; d < D; d++) s += centroids[row + d] * e[d];
      if (s > best) best = s;
    }
    out.push({ sim: best, weight: 1 / sample.counts[own] });
  }
  return out;
}

export function predict(head: HeadModel, embedding: Float32Array, topK = 5): FacePrediction {
  const { label, confidence, candidates } = predictWithGate(head, embedding, topK);
  return { label, confidence, candidates };
}

/**
 * predict, plus how far the face is above the gate of the character the head picks (`margin`, negative
 * below it): what a guild's head and its packs' heads are compared by. One pass over the weights.
 */
export function predictWithGate(
  head: HeadModel,
  embedding: Float32Array,
  topK = 5,
): FacePrediction & { margin: number; best: string | null } {
  const C = head.labels.length;
  const D = head.dim;
  if (C === 0) return { label: null, confidence: 0, candidates: [], margin: -Infinity, best: null };
  const probs = new Float64Array(C);
  if (C === 1) {
    probs[0] = 1;
  } else {
    // Locals and four running sums: this loop is C × D multiply-adds per face (about 640k for five packs).
    const { weights, bias, mean } = head;
    const centred = new Float32Array(D);
    for (let d = 0; d < D; d++) centred[d] = embedding[d] - mean[d];
    const tail = D - (D % 4);
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const row = c * D;
      let z0 = 0;
      let z1 = 0;
      let z2 = 0;
      let z3 = 0;
      for (let d = 0; d < tail; d += 4) {
        z0 += weights[row + d] * centred[d];
        z1 += weights[row + d + 1] * centred[d + 1];
        z2 += weights[row + d + 2] * centred[d + 2];
        z3 += weights[row + d + 3] * centred[d + 3];
      }
      let z = bias[c] + z0 + z1 + z2 + z3;
      for (let d = tail; d < D; d++) z += weights[row + d] * centred[d];
      probs[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[c] = Math.exp(probs[c] - max);
    for (let c = 0; c < C; c++) probs[c] /= sum;
  }
  const order = topIndexes(probs, Math.max(1, topK));
  const candidates: LabelCandidate[] = order.slice(0, topK).map((c) => ({ label: head.labels[c], score: probs[c] }));
  const best = order[0];
  const similarity = centroidSimilarity(head, best, embedding);
  const threshold = head.classThresholds?.[best] ?? head.openSetThreshold;
  const known = probs[best] >= head.minProbability && similarity >= threshold;
  return {
    label: known ? head.labels[best] : null,
    confidence: probs[best],
    candidates,
    margin: probs[best] >= head.minProbability ? similarity - threshold : -Infinity,
    best: head.labels[best],
  };
}

/**
 * The head as one matrix for batched scoring in onnxruntime (`gemm`): D × 2C, its first C columns the
 * weights and the next C the centroids, so X·M gives every logit (before `bias`) and every centroid
 * cosine of a batch of faces. `bias` folds in the centring: w·(x − m) + b = w·x + (b − w·m).
 */
export function scoringMatrix(head: HeadModel): { matrix: Float32Array; bias: Float32Array } {
  const C = head.labels.length;
  const D = head.dim;
  const matrix = new Float32Array(D * 2 * C);
  const bias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let shift = 0;
    for (let d = 0; d < D; d++) {
      const w = head.weights[c * D + d];
      matrix[d * 2 * C + c] = w;
      matrix[d * 2 * C + C + c] = head.centroids[c * D + d];
      shift += w * head.mean[d];
    }
    bias[c] = head.bias[c] - shift;
  }
  return { matrix, bias };
}

/** predictWithGate from one face's row of X·scoringMatrix (2C values). */
export function predictFromScores(
  head: HeadModel,
  bias: Float32Array,
  row: Float32Array,
  topK = 5,
): FacePrediction & { margin: number; best: string | null } {
  const C = head.labels.length;
  if (C === 0) return { label: null, confidence: 0, candidates: [], margin: -Infinity, best: null };
  const probs = new Float64Array(C);
  if (C === 1) probs[0] = 1;
  else {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      probs[c] = row[c] + bias[c];
      if (probs[c] > max) max = probs[c];
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[c] = Math.exp(probs[c] - max);
    for (let c = 0; c < C; c++) probs[c] /= sum;
  }
  const order = topIndexes(probs, Math.max(1, topK));
  const best = order[0];
  const similarity = row[C + best];
  const threshold = head.classThresholds?.[best] ?? head.openSetThreshold;
  const sure = probs[best] >= head.minProbability;
  return {
    label: sure && similarity >= threshold ? head.labels[best] : null,
    confidence: probs[best],
    candidates: order.slice(0, topK).map((c) => ({ label: head.labels[c], score: probs[c] })),
    margin: sure ? similarity - threshold : -Infinity,
    best: head.labels[best],
  };
}

/** The indexes of the k largest values, largest first (k is small; the heads have up to thousands). */
function topIndexes(values: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (top.length === k && values[i] <= values[top[k - 1]]) continue;
    let at = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push(i);
    while (at > 0 && values[top[at - 1]] < values[i]) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = i;
  }
  return top;
}

/**
 * The head with every open-set threshold raised by `shift` (a pack head calibrated against other games'
 * faces: see docs/packs.md, "The open-set gate of a pack").
 */
export function withGateShift(head: HeadModel, shift: number): HeadModel {
  if (shift === 0) return head;
  return {
    ...head,
    openSetThreshold: head.openSetThreshold + shift,
    ...(head.classThresholds ? { classThresholds: head.classThresholds.map((t) => t + shift) } : {}),
  };
}

/** How far a face is above the gate of the character the head picks (negative: below it), and whether softmax is sure enough. */
export function gateMargin(head: HeadModel, embedding: Float32Array): { label: string; margin: number; sure: boolean } {
  const p = predictWithGate(head, embedding, 1);
  return { label: p.best ?? '', margin: p.margin, sure: p.confidence >= head.minProbability };
}

export function centroidSimilarity(head: HeadModel, classIndex: number, embedding: Float32Array): number {
  let s = 0;
  const row = classIndex * head.dim;
  for (let d = 0; d < head.dim; d++) s += head.centroids[row + d] * embedding[d];
  return s;
}

export interface SerialisedHead {
  /** Labels, dimensions and thresholds. */
  json: string;
  /** weights, bias, mean and centroids as consecutive float32 values (platform byte order). */
  arrays: Buffer;
}

export function serialiseHead(head: HeadModel): SerialisedHead {
  const { weights, bias, mean, centroids, ...meta } = head;
  const floats = new Float32Array(weights.length + bias.length + mean.length + centroids.length);
  let at = 0;
  for (const part of [weights, bias, mean, centroids]) {
    floats.set(part, at);
    at += part.length;
  }
  return { json: JSON.stringify({ ...meta, arrays: 'float32' }), arrays: Buffer.from(floats.buffer) };
}

/** Reads a head stored either way: arrays in `arrays`, or (older rows) number arrays in the JSON. */
export function deserialiseHead(json: string, arrays?: Buffer | null): HeadModel {
  const raw = JSON.parse(json);
  if (!arrays) {
    return {
      ...raw,
      weights: Float32Array.from(raw.weights),
      bias: Float32Array.from(raw.bias),
      mean: Float32Array.from(raw.mean),
      centroids: Float32Array.from(raw.centroids),
    };
  }
  const C = raw.labels.length;
  const D = raw.dim;
  const sizes = [C * D, C, D, C * D];
  const total = sizes.reduce((a, b) => a + b, 0);
  // Copy out of the driver's buffer: it need not be 4-byte aligned.
  if (arrays.length !== total * 4) throw new Error(`Stored head holds ${arrays.length} bytes, expected ${total * 4}`);
  const floats = new Float32Array(total);
  new Uint8Array(floats.buffer).set(arrays);
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(floats.subarray(at, at + n));
    at += n;
  }
  const { arrays: _format, ...meta } = raw;
  return { ...meta, weights: parts[0], bias: parts[1], mean: parts[2], centroids: parts[3] };
}
