import { ort } from '../onnx-runtime.ts';
import { buildMatMulGraph } from './gradient-graph.ts';
import { fitSoftmax } from './softmax-fit.ts';
import { seededRandom } from '../eval/random.ts';

/**
 * The head fit for large guilds. The exact fit costs O(N·D·C) per L-BFGS step: for 50k faces ×
 * 1280 dims × 200 characters about a second a step, minutes in all. Here the softmax is fit on
 *  - a class-balanced subsample (at most `perClass` faces of each character, chosen with a fixed
 *    seed; the loss weighs every character the same anyway, so this estimates the same loss),
 *  - in the subspace spanned by every character's mean (from all faces, not just the subsample)
 *    plus the main directions of within-character variation (a randomised sketch),
 *  - with fewer L-BFGS steps (the first 20 give nearly all of the accuracy),
 * and the weights are mapped back to the full embedding space. Every N·D-sized product runs as one
 * onnxruntime GEMM.
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

/** A·B (A: M×K, B: K×N), or Aᵀ·B with transA (A stored K×M). Row-major float32. */
export async function gemm(
  a: Float32Array,
  aDims: [number, number],
  b: Float32Array,
  bDims: [number, number],
  transA = false,
): Promise<Float32Array> {
  const [plain, transposed] = await matmulSessions();
  const out = await (transA ? transposed : plain).run({
    A: new ort.Tensor('float32', a, aDims),
    B: new ort.Tensor('float32', b, bDims),
  });
  return out.Y.data as Float32Array;
}

export interface Subsample {
  /** Row indices into the embeddings, ascending within each class. */
  rows: number[];
  classOf: Int32Array;
  counts: Float64Array;
}

/** At most `perClass` faces of each class, chosen with a fixed seed. */
export function classBalancedSubsample(classOf: Int32Array, C: number, perClass: number, seed = 1): Subsample {
  const members: number[][] = Array.from({ length: C }, () => []);
  classOf.forEach((c, i) => members[c].push(i));
  const random = seededRandom(seed);
  const rows: number[] = [];
  for (const list of members) {
    if (list.length > perClass) {
      for (let i = 0; i < perClass; i++) {
        const j = i + Math.floor(random() * (list.length - i));
        [list[i], list[j]] = [list[j], list[i]];
      }
      list.length = perClass;
      list.sort((a, b) => a - b);
    }
    rows.push(...list);
  }
  const sub = Int32Array.from(rows, (i) => classOf[i]);
  const counts = new Float64Array(C);
  for (const c of sub) counts[c]++;
  return { rows, classOf: sub, counts };
}

/**
 * Orthonormal columns spanning the columns of B (D × k, row-major), by pivoted Cholesky of BᵀB
 * (CholeskyQR, repeated once for orthogonality). Columns already spanned are dropped.
 */
export async function orthonormalColumns(
  B: Float32Array,
  D: number,
  k: number,
): Promise<{ Q: Float32Array; r: number }> {
  let Q = B;
  let r = k;
  for (let pass = 0; pass < 2; pass++) {
    // Unit columns first: the Gram matrix is then as well conditioned as it can be.
    const norms = new Float64Array(r);
    for (let d = 0; d < D; d++) for (let j = 0; j < r; j++) norms[j] += Q[d * r + j] ** 2;
    const G32 = await gemm(Q, [D, r], Q, [D, r], true);
    const G = new Float64Array(r * r);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++) G[i * r + j] = G32[i * r + j] / Math.sqrt((norms[i] || 1) * (norms[j] || 1));
    const { R, pivots } = pivotedCholesky(G, r, pass === 0 ? 1e-6 : 1e-10);
    const m = pivots.length;
    // Q_new = Q[:, pivots] · diag(1/norm) · R⁻¹  (R upper triangular, m × m)
    const Rinv = invertUpper(R, m);
    const T = new Float32Array(r * m);
    for (let a = 0; a < m; a++) {
      const col = pivots[a];
      const scale = 1 / Math.sqrt(norms[col] || 1);
      for (let j = 0; j < m; j++) T[col * m + j] = Rinv[a * m + j] * scale;
    }
    Q = await gemm(Q, [D, r], T, [r, m]);
    r = m;
  }
  return { Q, r };
}

/** G[P,P] = RᵀR with greedy pivoting; stops when what is left is below tol × the largest diagonal. */
function pivotedCholesky(G: Float64Array, n: number, tol: number): { R: Float64Array; pivots: number[] } {
  const A = Float64Array.from(G);
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = A[i * n + i];
  const maxDiag = Math.max(...diag);
  const used = new Uint8Array(n);
  const pivots: number[] = [];
  const rows: Float64Array[] = []; // rows of R over the original indices
  for (let step = 0; step < n; step++) {
    let p = -1;
    for (let i = 0; i < n; i++) if (!used[i] && (p < 0 || diag[i] > diag[p])) p = i;
    if (p < 0 || !(diag[p] > tol * maxDiag)) break;
    const rpp = Math.sqrt(diag[p]);
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (used[j] || j === p) continue;
      let s = A[p * n + j];
      for (const prev of rows) s -= prev[p] * prev[j];
      row[j] = s / rpp;
    }
    row[p] = rpp;
    used[p] = 1;
    for (let j = 0; j < n; j++) if (!used[j]) diag[j] -= row[j] * row[j];
    rows.push(row);
    pivots.push(p);
  }
  const m = pivots.length;
  const R = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = a; b < m; b++) R[a * m + b] = rows[a][pivots[b]];
  return { R, pivots };
}

function invertUpper(R: Float64Array, m: number): Float64Array {
  const X = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    X[j * m + j] = 1 / R[j * m + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[i * m + k] * X[k * m + j];
      X[i * m + j] = -s / R[i * m + i];
    }
  }
  return X;
}

/**
 * Fits the class-balanced softmax head on a reduced problem and writes C × D `weights` and `bias`.
 * `sums` are the per-class sums of all embeddings (C × D), `mean` the mean of all of them.
 */
export async function fitReducedSoftmax(
  embeddings: Float32Array[],
  classOf: Int32Array,
  counts: Float64Array,
  sums: Float64Array,
  mean: Float32Array,
  C: number,
  l2: number | undefined,
  plan: ReducedFitPlan,
  weights: Float32Array,
  bias: Float32Array,
  start?: { weights: Float32Array; bias: Float32Array },
): Promise<void> {
  const D = mean.length;
  const sub = classBalancedSubsample(classOf, C, plan.perClass);
  const n = sub.rows.length;
  const X = new Float32Array(n * D);
  sub.rows.forEach((i, k) => {
    const e = embeddings[i];
    const row = k * D;
    for (let d = 0; d < D; d++) X[row + d] = e[d] - mean[d];
  });
  // Candidate directions (D × k): the centred class means, then the within-class sketch.
  const extra = Math.min(plan.extraDims, Math.max(0, D - C));
  const k = C + extra;
  const B = new Float32Array(D * k);
  const classMeans = new Float32Array(C * D);
  for (let c = 0; c < C; c++) {
    for (let d = 0; d < D; d++) {
      const m = sums[c * D + d] / counts[c] - mean[d];
      classMeans[c * D + d] = m;
      B[d * k + c] = m;
    }
  }
  if (extra > 0) {
    const R = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const row = i * D;
      const mrow = sub.classOf[i] * D;
      for (let d = 0; d < D; d++) R[row + d] = X[row + d] - classMeans[mrow + d];
    }
    const random = seededRandom(2);
    const omega = new Float32Array(D * extra);
    for (let j = 0; j < omega.length; j++) omega[j] = random() - 0.5;
    const Y = await gemm(R, [n, D], omega, [D, extra]);
    const Z = await gemm(R, [n, D], Y, [n, extra], true); // D × extra: range of RᵀR Ω
    for (let d = 0; d < D; d++) for (let j = 0; j < extra; j++) B[d * k + C + j] = Z[d * extra + j];
  }
  const { Q, r } = await orthonormalColumns(B, D, k);
  const P = await gemm(X, [n, D], Q, [D, r]); // n × r

  let init: Float64Array | undefined;
  if (start) {
    // The start's weights projected into the subspace: Wr = Qᵀ·W (r × C).
    const Wt = new Float32Array(D * C);
    for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) Wt[d * C + c] = start.weights[c * D + d];
    const Wr0 = await gemm(Q, [D, r], Wt, [D, C], true);
    init = new Float64Array(r * C + C);
    for (let j = 0; j < r * C; j++) init[j] = Wr0[j];
    for (let c = 0; c < C; c++) init[r * C + c] = start.bias[c];
  }
  const params = await fitSoftmax(P, sub.classOf, sub.counts, n, r, C, l2, plan.maxIterations, init);
  const Wr = new Float32Array(r * C);
  for (let j = 0; j < r * C; j++) Wr[j] = params[j];
  const W = await gemm(Q, [D, r], Wr, [r, C]); // D × C
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c * D + d] = W[d * C + c];
  for (let c = 0; c < C; c++) bias[c] = params[r * C + c];
}
