import { UMAP } from 'umap-js';
import { seededRandom } from '../eval/random.ts';
import { gemm, orthonormalColumns } from '../head/reduced-fit.ts';
import { centredUnitVectors } from '../vector.ts';

/**
 * 2-D layout of embeddings for people to look at. The vectors are centred on their mean (every
 * embedding shares a large common part that would otherwise dominate), reduced to about 50
 * principal directions (subspace iteration in onnxruntime GEMMs), then laid out with UMAP
 * (umap-js) with a fixed seed, so the same faces give the same picture.
 */
export interface ProjectionOptions {
  seed?: number;
  nNeighbors?: number;
  minDist?: number;
  /** Principal directions kept before UMAP. */
  pcaDims?: number;
  /** UMAP optimisation epochs (umap-js defaults to 500 below 10k points; 200 looks the same here). */
  epochs?: number;
}

export async function project2d(
  vectors: Float32Array[],
  options: ProjectionOptions = {},
): Promise<Array<[number, number]>> {
  const n = vectors.length;
  if (n === 0) return [];
  if (n === 1) return [[0, 0]];
  if (n === 2)
    return [
      [-1, 0],
      [1, 0],
    ];
  const reduced = await principalComponents(centredUnitVectors(vectors), Math.min(options.pcaDims ?? 50, n - 1));
  if (n < 5) return reduced.map((v) => [v[0] ?? 0, v[1] ?? 0]);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(options.nNeighbors ?? 15, n - 1)),
    minDist: options.minDist ?? 0.15,
    nEpochs: options.epochs ?? 200,
    random: seededRandom(options.seed ?? 7),
  });
  return umap.fit(reduced.map((v) => Array.from(v))) as Array<[number, number]>;
}

/** Coordinates of the rows on their top `k` principal directions (randomised subspace iteration). */
export async function principalComponents(vectors: Float32Array[], k: number): Promise<Float32Array[]> {
  const n = vectors.length;
  const D = vectors[0].length;
  if (k >= D) return vectors;
  const X = new Float32Array(n * D);
  vectors.forEach((v, i) => X.set(v, i * D));
  const random = seededRandom(11);
  let Q: Float32Array = new Float32Array(D * k).map(() => random() - 0.5);
  let r = k;
  for (let iteration = 0; iteration < 3; iteration++) {
    const Y = await gemm(X, [n, D], Q, [D, r]); // n × r
    const Z = await gemm(X, [n, D], Y, [n, r], true); // D × r = Xᵀ X Q
    ({ Q, r } = await orthonormalColumns(Z, D, r));
  }
  const P = await gemm(X, [n, D], Q, [D, r]);
  return vectors.map((_, i) => P.subarray(i * r, (i + 1) * r));
}
