// Small helpers on embedding vectors (Float32Array), shared by the embedder, clustering, retrieval and the map.

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Scales v to unit length in place (a zero vector stays zero) and returns it. */
export function l2normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

export function sumOf(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let d = 0; d < v.length; d++) out[d] += v[d];
  return out;
}

/**
 * Each vector minus the mean of all, at unit length: what cosine distances should compare when
 * every embedding shares a common direction (faces of one art style).
 */
export function centredUnitVectors(vectors: Float32Array[]): Float32Array[] {
  const D = vectors[0].length;
  const mean = new Float64Array(D);
  for (const v of vectors) for (let d = 0; d < D; d++) mean[d] += v[d] / vectors.length;
  return vectors.map((v) => l2normalise(Float32Array.from(v, (x, d) => x - mean[d])));
}
