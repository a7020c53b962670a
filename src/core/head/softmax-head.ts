import type { FacePrediction, LabelCandidate } from '../types.ts';
import * as ort from 'onnxruntime-node';
import { buildSoftmaxGradientGraph } from './gradient-graph.ts';
import { minimiseLbfgs } from './lbfgs.ts';

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
  const minProbability = options.minProbability ?? 0.35;
  if (C === 0 || N === 0) {
    return {
      labels: [], dim: D, weights: new Float32Array(0), bias: new Float32Array(0), mean: new Float32Array(D),
      centroids: new Float32Array(0), openSetThreshold: 1, minProbability, trainedOn: 0,
    };
  }
  const classOf = Int32Array.from(labels, (l) => labelNames.indexOf(l));
  const counts = new Float64Array(C);
  for (const c of classOf) counts[c]++;

  const mean = new Float32Array(D);
  for (const e of embeddings) for (let d = 0; d < D; d++) mean[d] += e[d] / N;
  const X = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) X[i * D + d] = embeddings[i][d] - mean[d];

  const centroids = classCentroids(embeddings, classOf, C, D);
  const weights = new Float32Array(C * D);
  const bias = new Float32Array(C);
  if (C > 1) await fitSoftmax(X, classOf, counts, N, D, C, options, weights, bias);

  return {
    labels: labelNames, dim: D, weights, bias, mean, centroids, minProbability, trainedOn: N,
    openSetThreshold: calibrateOpenSet(embeddings, classOf, counts, centroids, C, D, options.knownAcceptance ?? 0.95),
  };
}

async function fitSoftmax(
  X: Float32Array, classOf: Int32Array, counts: Float64Array, N: number, D: number, C: number,
  options: HeadTrainingOptions, weights: Float32Array, bias: Float32Array,
): Promise<void> {
  const session = await gradientSession();
  const l2 = options.l2 ?? 3e-5;
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
  await minimiseLbfgs(params, evaluate, { maxIterations: options.maxIterations ?? 200 });
  // Stored row-major per class (C × D) for prediction.
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c * D + d] = params[d * C + c];
  for (let c = 0; c < C; c++) bias[c] = params[D * C + c];
}

let gradientSessionPromise: Promise<ort.InferenceSession> | undefined;
function gradientSession(): Promise<ort.InferenceSession> {
  gradientSessionPromise ??= ort.InferenceSession.create(buildSoftmaxGradientGraph(), { executionProviders: ['cpu'] });
  return gradientSessionPromise;
}

function classCentroids(embeddings: Float32Array[], classOf: Int32Array, C: number, D: number): Float32Array {
  const centroids = new Float32Array(C * D);
  embeddings.forEach((e, i) => {
    const row = classOf[i] * D;
    for (let d = 0; d < D; d++) centroids[row + d] += e[d];
  });
  for (let c = 0; c < C; c++) normaliseRow(centroids, c, D);
  return centroids;
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
 */
function calibrateOpenSet(
  embeddings: Float32Array[], classOf: Int32Array, counts: Float64Array, centroids: Float32Array,
  C: number, D: number, acceptance: number,
): number {
  const sums = new Float32Array(C * D);
  embeddings.forEach((e, i) => {
    for (let d = 0; d < D; d++) sums[classOf[i] * D + d] += e[d];
  });
  const scored: Array<{ sim: number; weight: number }> = [];
  embeddings.forEach((e, i) => {
    const c = classOf[i];
    if (counts[c] < 2) return;
    let dotv = 0;
    let norm = 0;
    for (let d = 0; d < D; d++) {
      const v = sums[c * D + d] - e[d];
      dotv += v * e[d];
      norm += v * v;
    }
    scored.push({ sim: dotv / Math.sqrt(norm || 1), weight: 1 / counts[c] });
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
