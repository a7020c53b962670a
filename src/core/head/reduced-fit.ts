import * as ort from 'onnxruntime-node';
import { buildMatMulGraph } from './gradient-graph.ts';

/**
 * The head fit for large guilds. The exact fit costs O(N·D·C) per L-BFGS step, which for 50k faces ×
 * 1280 dims × 200 characters is about a second a step. Here the softmax is fit on
 *  - a class-balanced subsample (at most `perClass` faces of each character, chosen with a fixed
 *    seed; the loss is class-balanced anyway, so this is an unbiased estimate of it), and
 *  - a subspace spanned by every character's mean (from all faces, not just the subsample) plus the
 *    main directions of within-character variation (randomised range finder on the subsample),
 * and the weights are mapped back to the full embedding space. Everything of size N·D runs either
 * once in JavaScript or as one onnxruntime GEMM.
 */
export interface ReducedFitPlan {
  perClass: number;
  /** Within-class principal directions added to the class means. */
  extraDims: number;
  maxIterations: number;
}

type Session = ort.InferenceSession;
let sessions: Promise<[Session, Session]> | undefined;
function matmulSessions(): Promise<[Session, Session]> {
  sessions ??= Promise.all([
    ort.InferenceSession.create(buildMatMulGraph(false), { executionProviders: ['cpu'] }),
    ort.InferenceSession.create(buildMatMulGraph(true), { executionProviders: ['cpu'] }),
  ]);
  return sessions;
}

/** A·B (A: M×K, B: K×N), or Aᵀ·B with transA (A: K×M). */
export async function gemm(a: Float32Array, aDims: [number, number], b: Float32Array, bDims: [number, number], transA = false): Promise<Float32Array> {
  const [plain, transposed] = await matmulSessions();
  const out = await (transA ? transposed : plain).run({
    A: new ort.Tensor('float32', a, aDims),
    B: new ort.Tensor('float32', b, bDims),
  });
  return out.Y.data as Float32Array;
}

/** Small seeded generator (mulberry32): the subsample and the sketch are the same on every refit. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ReducedProblem {
  /** Subsampled rows, centred, n × D. */
  X: Float32Array;
  classOf: Int32Array;
  counts: Float64Array;
  n: number;
}

/** At most `perClass` faces of each class (seeded), centred by `mean`. */
export function classBalancedSubsample(
  embeddings: Float32Array[], classOf: Int32Array, C: number, mean: Float32Array, perClass: number, seed = 1,
): ReducedProblem {
  const D = mean.length;
  const members: number[][] = Array.from({ length: C }, () => []);
  classOf.forEach((c, i) => members[c].push(i));
  const random = rng(seed);
  const chosen: number[] = [];
  for (const list of members) {
    if (list.length > perClass) {
      for (let i = 0; i < perClass; i++) {
        const j = i + Math.floor(random() * (list.length - i));
        [list[i], list[j]] = [list[j], list[i]];
      }
      list.length = perClass;
      list.sort((a, b) => a - b);
    }
    chosen.push(...list);
  }
  const n = chosen.length;
  const X = new Float32Array(n * D);
  const sub = new Int32Array(n);
  const counts = new Float64Array(C);
  chosen.forEach((i, k) => {
    const e = embeddings[i];
    const row = k * D;
    for (let d = 0; d < D; d++) X[row + d] = e[d] - mean[d];
    sub[k] = classOf[i];
    counts[classOf[i]]++;
  });
  return { X, classOf: sub, counts, n };
}

/**
 * Orthonormal basis (D × r, column-major as r rows of D) of the class means (centred) and the main
 * within-class directions of the subsample.
 */
export async function discriminativeBasis(
  problem: ReducedProblem, classMeans: Float64Array, C: number, D: number, extraDims: number, seed = 2,
): Promise<Float32Array[]> {
  const candidates: Float64Array[] = [];
  for (let c = 0; c < C; c++) candidates.push(classMeans.slice(c * D, (c + 1) * D));
  if (extraDims > 0) {
    // Within-class residuals R (n × D); sketch Z = Rᵀ(R Ω) spans their main directions.
    const { X, classOf, n } = problem;
    const R = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const row = i * D;
      const mrow = classOf[i] * D;
      for (let d = 0; d < D; d++) R[row + d] = X[row + d] - classMeans[mrow + d];
    }
    const random = rng(seed);
    const omega = new Float32Array(D * extraDims);
    for (let k = 0; k < omega.length; k++) omega[k] = random() - 0.5;
    const Y = await gemm(R, [n, D], omega, [D, extraDims]);
    const Z = await gemm(R, [n, D], Y, [n, extraDims], true); // D × k
    for (let k = 0; k < extraDims; k++) {
      const v = new Float64Array(D);
      for (let d = 0; d < D; d++) v[d] = Z[d * extraDims + k];
      candidates.push(v);
    }
  }
  // Modified Gram–Schmidt, twice for stability; drops directions already spanned.
  const basis: Float64Array[] = [];
  for (const v of candidates) {
    const original = Math.sqrt(dot(v, v));
    if (original === 0) continue;
    for (let pass = 0; pass < 2; pass++) for (const q of basis) axpy(-dot(q, v), q, v);
    const norm = Math.sqrt(dot(v, v));
    if (norm < 1e-6 * original) continue;
    for (let d = 0; d < D; d++) v[d] /= norm;
    basis.push(v);
    if (basis.length === D) break;
  }
  return basis.map((q) => Float32Array.from(q));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

/** Q as a D × r matrix (row-major) from r basis vectors. */
export function basisMatrix(basis: Float32Array[], D: number): Float32Array {
  const r = basis.length;
  const Q = new Float32Array(D * r);
  basis.forEach((q, k) => {
    for (let d = 0; d < D; d++) Q[d * r + k] = q[d];
  });
  return Q;
}
