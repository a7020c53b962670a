import type { FacePrediction, LabelCandidate } from '../types.ts';
import * as ort from 'onnxruntime-node';
import { buildSoftmaxGradientGraph } from './gradient-graph.ts';
import { minimiseLbfgs } from './lbfgs.ts';
import { basisMatrix, classBalancedSubsample, discriminativeBasis, gemm, type ReducedFitPlan } from './reduced-fit.ts';

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
  /** Minimum softmax probability of the top class. */
  minProbability: number;
  trainedOn: number;
}

export interface HeadTrainingOptions {
  l2?: number;
  maxIterations?: number;
  /** Share of taught faces the open-set gate must accept (per-face, class-balanced). */
  knownAcceptance?: number;
  minProbability?: number;
}

/**
 * Above this much work per gradient step (faces × dims × characters) the softmax is fit on a
 * class-balanced subsample in a discriminative subspace (reduced-fit.ts) instead of on every face:
 * the exact fit of 50k faces × 200 characters took minutes. Below it nothing changes.
 */
export const EXACT_FIT_WORK = 1e8;

/** How the reduced fit is sized: about 4k faces and at most 60 L-BFGS steps. */
export function reducedFitPlan(N: number, D: number, C: number, maxIterations?: number): ReducedFitPlan {
  const perClass = Math.max(12, Math.ceil(4000 / C));
  return { perClass, extraDims: Math.min(64, D), maxIterations: Math.min(maxIterations ?? 200, 60) };
}

export async function trainHead(
  embeddings: Float32Array[],
  labels: string[],
  options: HeadTrainingOptions & { forceReduced?: ReducedFitPlan } = {},
): Promise<HeadModel> {
  if (embeddings.length !== labels.length) throw new Error('embeddings and labels differ in length');
  const labelNames = [...new Set(labels)].sort();
  const C = labelNames.length;
  const N = embeddings.length;
  const D = embeddings[0]?.length ?? 0;
  const minProbability = options.minProbability ?? 0.35;
  if (C === 0 || N === 0) {
    return {
      labels: [], dim: D, weights: new Float32Array(0), bias: new Float32Array(0), mean: new Float32Array(D),
      centroids: new Float32Array(0), openSetThreshold: 1, minProbability, trainedOn: 0,
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
  if (C > 1) {
    if (options.forceReduced || N * D * C > EXACT_FIT_WORK) {
      const plan = options.forceReduced ?? reducedFitPlan(N, D, C, options.maxIterations);
      await fitReducedSoftmax(embeddings, classOf, counts, sums, mean, D, C, options, plan, weights, bias);
    } else {
      const X = new Float32Array(N * D);
      for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) X[i * D + d] = embeddings[i][d] - mean[d];
      const params = await fitSoftmax(X, classOf, counts, N, D, C, options.l2, options.maxIterations ?? 200);
      // Stored row-major per class (C × D) for prediction.
      for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c * D + d] = params[d * C + c];
      for (let c = 0; c < C; c++) bias[c] = params[D * C + c];
    }
  }

  return {
    labels: labelNames, dim: D, weights, bias, mean, centroids, minProbability, trainedOn: N,
    openSetThreshold: calibrateOpenSet(embeddings, classOf, counts, sums, C, D, options.knownAcceptance ?? 0.95),
  };
}

async function fitReducedSoftmax(
  embeddings: Float32Array[], classOf: Int32Array, counts: Float64Array, sums: Float64Array, mean: Float32Array,
  D: number, C: number, options: HeadTrainingOptions, plan: ReducedFitPlan, weights: Float32Array, bias: Float32Array,
): Promise<void> {
  const problem = classBalancedSubsample(embeddings, classOf, C, mean, plan.perClass);
  const classMeans = new Float64Array(C * D);
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) classMeans[c * D + d] = sums[c * D + d] / counts[c] - mean[d];
  const basis = await discriminativeBasis(problem, classMeans, C, D, plan.extraDims);
  const r = basis.length;
  const Q = basisMatrix(basis, D);
  const P = await gemm(problem.X, [problem.n, D], Q, [D, r]);
  const params = await fitSoftmax(P, problem.classOf, problem.counts, problem.n, r, C, options.l2, plan.maxIterations);
  const Wr = new Float32Array(r * C);
  for (let k = 0; k < r * C; k++) Wr[k] = params[k];
  const W = await gemm(Q, [D, r], Wr, [r, C]); // D × C
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c * D + d] = W[d * C + c];
  for (let c = 0; c < C; c++) bias[c] = params[r * C + c];
}

/** Class-balanced softmax regression on centred rows X (N × D); returns [W (D × C) row-major, b]. */
async function fitSoftmax(
  X: Float32Array, classOf: Int32Array, counts: Float64Array, N: number, D: number, C: number,
  l2 = 3e-5, maxIterations = 200,
): Promise<Float64Array> {
  const session = await gradientSession();
  // Class-balanced: every character weighs the same in the loss, however many faces it has.
  const Yw = new Float32Array(N * C);
  for (let i = 0; i < N; i++) Yw[i * C + classOf[i]] = 1 / (C * counts[classOf[i]]);
  const xTensor = new ort.Tensor('float32', X, [N, D]);
  const ywTensor = new ort.Tensor('float32', Yw, [N, C]);
  const W = new Float32Array(D * C);
  const b = new Float32Array(C);
  const params = new Float64Array(D * C + C);
  const evaluate = async (p: Float64Array, grad: Float64Array): Promise<number> => {
    for (let k = 0; k < D * C; k++) W[k] = p[k];
    for (let c = 0; c < C; c++) b[c] = p[D * C + c];
    const out = await session.run({
      X: xTensor, W: new ort.Tensor('float32', W, [D, C]), b: new ort.Tensor('float32', b, [C]), Yw: ywTensor,
    });
    const gW = out.gradW.data as Float32Array;
    const gb = out.gradb.data as Float32Array;
    let loss = (out.loss.data as Float32Array)[0];
    for (let k = 0; k < D * C; k++) {
      grad[k] = gW[k] + l2 * p[k];
      loss += 0.5 * l2 * p[k] * p[k];
    }
    for (let c = 0; c < C; c++) grad[D * C + c] = gb[c];
    return loss;
  };
  await minimiseLbfgs(params, evaluate, { maxIterations });
  return params;
}

let gradientSessionPromise: Promise<ort.InferenceSession> | undefined;
function gradientSession(): Promise<ort.InferenceSession> {
  gradientSessionPromise ??= ort.InferenceSession.create(buildSoftmaxGradientGraph(), { executionProviders: ['cpu'] });
  return gradientSessionPromise;
}

function normaliseRow(m: Float32Array, row: number, D: number): void {
  let s = 0;
  for (let d = 0; d < D; d++) s += m[row * D + d] ** 2;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let d = 0; d < D; d++) m[row * D + d] *= inv;
}

/**
 * Known faces: cosine to their own class centroid with themselves left out. The threshold accepts
 * `acceptance` of them (class-balanced); a face of a character nobody taught sits further away.
 * With S the class sum, the left-out centroid is S − e: its dot with e is S·e − |e|², its squared
 * norm |S|² − 2 S·e + |e|², so one dot product per face suffices.
 */
function calibrateOpenSet(
  embeddings: Float32Array[], classOf: Int32Array, counts: Float64Array, sums: Float64Array,
  C: number, D: number, acceptance: number,
): number {
  const sumNorms = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += sums[c * D + d] ** 2;
    sumNorms[c] = s;
  }
  const scored: Array<{ sim: number; weight: number }> = [];
  embeddings.forEach((e, i) => {
    const c = classOf[i];
    if (counts[c] < 2) return;
    const row = c * D;
    let se = 0;
    let ee = 0;
    for (let d = 0; d < D; d++) {
      se += sums[row + d] * e[d];
      ee += e[d] * e[d];
    }
    const norm = sumNorms[c] - 2 * se + ee;
    scored.push({ sim: (se - ee) / Math.sqrt(norm > 0 ? norm : 1), weight: 1 / counts[c] });
  });
  if (scored.length === 0) return 0.5;
  scored.sort((a, b) => a.sim - b.sim);
  const total = scored.reduce((s, x) => s + x.weight, 0);
  let cum = 0;
  for (const s of scored) {
    cum += s.weight;
    if (cum >= (1 - acceptance) * total) return s.sim;
  }
  return scored[0].sim;
}

export function predict(head: HeadModel, embedding: Float32Array, topK = 5): FacePrediction {
  const C = head.labels.length;
  const D = head.dim;
  if (C === 0) return { label: null, confidence: 0, candidates: [] };
  const probs = new Float64Array(C);
  if (C === 1) {
    probs[0] = 1;
  } else {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = head.bias[c];
      for (let d = 0; d < D; d++) z += head.weights[c * D + d] * (embedding[d] - head.mean[d]);
      probs[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += (probs[c] = Math.exp(probs[c] - max));
    for (let c = 0; c < C; c++) probs[c] /= sum;
  }
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
  const candidates: LabelCandidate[] = order.slice(0, topK).map((c) => ({ label: head.labels[c], score: probs[c] }));
  const best = order[0];
  const similarity = centroidSimilarity(head, best, embedding);
  const known = probs[best] >= head.minProbability && similarity >= head.openSetThreshold;
  return { label: known ? head.labels[best] : null, confidence: probs[best], candidates };
}

export function centroidSimilarity(head: HeadModel, classIndex: number, embedding: Float32Array): number {
  let s = 0;
  const row = classIndex * head.dim;
  for (let d = 0; d < head.dim; d++) s += head.centroids[row + d] * embedding[d];
  return s;
}

/** Plain JSON for storage; typed arrays become number arrays. */
export function serialiseHead(head: HeadModel): string {
  return JSON.stringify({
    ...head,
    weights: Array.from(head.weights), bias: Array.from(head.bias), mean: Array.from(head.mean), centroids: Array.from(head.centroids),
  });
}

export function deserialiseHead(json: string): HeadModel {
  const raw = JSON.parse(json);
  return {
    ...raw,
    weights: Float32Array.from(raw.weights), bias: Float32Array.from(raw.bias), mean: Float32Array.from(raw.mean),
    centroids: Float32Array.from(raw.centroids),
  };
}
