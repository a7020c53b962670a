import { gemm } from '../src/core/head/reduced-fit.ts';
import { seededRandom } from '../src/core/eval/random.ts';

/**
 * Synthetic "face embeddings" with the structure real ones have: non-negative-ish, L2-normalised,
 * one cluster per character around a shared mean, and within-character variation that is mostly
 * shared across characters (pose, colouring, art style: a few strong common directions) plus a
 * little isotropic noise. The nuisance directions are what a discriminative head learns to ignore
 * and a nearest-centroid rule cannot, so the benchmark exercises the real fit, not just the means.
 */
export interface SyntheticOptions {
  n: number;
  classes: number;
  dim: number;
  seed?: number;
  /** Spread of the class means around the shared mean (relative to its norm). */
  between?: number;
  /** Strength of the shared within-class directions. */
  nuisance?: number;
  nuisanceDims?: number;
  /** Isotropic noise. */
  noise?: number;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

export async function syntheticEmbeddings(
  o: SyntheticOptions,
): Promise<{ embeddings: Float32Array[]; labels: string[] }> {
  const { n, classes: C, dim: D } = o;
  const k = o.nuisanceDims ?? 24;
  const random = seededRandom(o.seed ?? 1);
  // A table of normal deviates read at random offsets: generating 64M fresh ones takes seconds.
  const table = new Float32Array(1 << 16);
  for (let i = 0; i < table.length; i++) table[i] = gaussian(random);
  const normal = () => table[(random() * table.length) | 0];
  const shared = new Float32Array(D);
  for (let d = 0; d < D; d++) shared[d] = Math.abs(gaussian(random)) / Math.sqrt(D);
  const between = (o.between ?? 0.35) / Math.sqrt(D);
  const means = Array.from({ length: C }, () => Float32Array.from(shared, (g) => g + between * gaussian(random)));
  const U = new Float32Array(k * D);
  for (let i = 0; i < U.length; i++) U[i] = gaussian(random) / Math.sqrt(D);
  const Z = new Float32Array(n * k);
  for (let i = 0; i < Z.length; i++) Z[i] = normal() * (o.nuisance ?? 0.4);
  const nuisance = await gemm(Z, [n, k], U, [k, D]); // n × D
  const noise = (o.noise ?? 2.5) / Math.sqrt(D);
  const embeddings: Float32Array[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % C;
    const v = new Float32Array(D);
    const m = means[c];
    const start = (random() * table.length) | 0;
    const stride = 1 + 2 * ((random() * 4096) | 0);
    let s = 0;
    for (let d = 0; d < D; d++) {
      const x = m[d] + nuisance[i * D + d] + noise * table[(start + d * stride) & 0xffff];
      v[d] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < D; d++) v[d] *= inv;
    embeddings.push(v);
    labels.push(`character_${String(c).padStart(3, '0')}`);
  }
  return { embeddings, labels };
}
