import { gemm } from '../head/reduced-fit.ts';

/**
 * HDBSCAN (Campello, Moulavi & Sander 2013) on a precomputed distance matrix: density-based
 * clusters of any shape, no distance threshold to tune (so it works the same for any embedder's
 * scale), points in no dense region left as noise. Parameters:
 *  - minClusterSize: the smallest group worth calling a cluster;
 *  - minSamples: how many neighbours make a point "dense" (its core distance is the distance to
 *    its minSamples-th nearest other point).
 * O(n²) time and memory; fine for a few thousand faces.
 */
export interface HdbscanOptions {
  minClusterSize: number;
  minSamples?: number;
  /**
   * When the data never splits into two dense groups, call all of it one cluster instead of noise.
   * For unknown faces that is the common case of a single new character, not an empty finding.
   */
  allowSingleCluster?: boolean;
}

export interface HdbscanResult {
  /** Cluster index per point, -1 for noise. Clusters are numbered largest first. */
  labels: Int32Array;
  clusters: number;
  /** Per point: how firmly it belongs (0–1), 0 for noise. */
  membership: Float64Array;
}

/** `distance(i, j)` for a symmetric matrix stored row-major (n × n). */
export function hdbscan(distances: Float32Array | Float64Array, n: number, options: HdbscanOptions): HdbscanResult {
  const minClusterSize = Math.max(2, options.minClusterSize);
  const minSamples = Math.max(1, options.minSamples ?? minClusterSize);
  const empty = { labels: new Int32Array(n).fill(-1), clusters: 0, membership: new Float64Array(n) };
  if (n < minClusterSize || n < 2) return empty;

  // Core distances: the minSamples-th smallest distance to another point.
  const k = Math.min(minSamples, n - 1);
  const core = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < n; j++) if (j !== i) row[m++] = Math.max(0, distances[i * n + j]);
    core[i] = quickselect(row, k - 1);
  }

  // Minimum spanning tree of the mutual reachability graph (Prim, dense).
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  const edges: Array<{ a: number; b: number; w: number }> = [];
  let current = 0;
  inTree[0] = 1;
  for (let step = 1; step < n; step++) {
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const mr = Math.max(core[current], core[j], distances[current * n + j]);
      if (mr < best[j]) {
        best[j] = mr;
        from[j] = current;
      }
    }
    let next = -1;
    for (let j = 0; j < n; j++) if (!inTree[j] && (next < 0 || best[j] < best[next])) next = j;
    edges.push({ a: from[next], b: next, w: best[next] });
    inTree[next] = 1;
    current = next;
  }
  edges.sort((x, y) => x.w - y.w);

  // Single-linkage dendrogram: nodes 0..n-1 are points, n.. are merges.
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const left = new Int32Array(2 * n - 1).fill(-1);
  const right = new Int32Array(2 * n - 1).fill(-1);
  const size = new Int32Array(2 * n - 1).fill(1);
  const height = new Float64Array(2 * n - 1);
  const uf = new Int32Array(2 * n - 1).map((_, i) => i);
  const find = (x: number): number => {
    while (uf[x] !== x) x = uf[x] = uf[uf[x]];
    return x;
  };
  edges.forEach((e, m) => {
    const node = n + m;
    const ra = find(e.a);
    const rb = find(e.b);
    left[node] = ra;
    right[node] = rb;
    parent[ra] = parent[rb] = node;
    uf[ra] = uf[rb] = node;
    size[node] = size[ra] + size[rb];
    height[node] = e.w;
  });
  const root = 2 * n - 2;
  const lambdaOf = (d: number) => (d > 0 ? 1 / d : Number.MAX_VALUE);

  // Condensed tree: clusters that stay at least minClusterSize big.
  interface Cluster {
    birth: number;
    parent: number;
    children: number[];
    stability: number;
    points: Array<{ p: number; lambda: number }>;
  }
  const clusters: Cluster[] = [{ birth: 0, parent: -1, children: [], stability: 0, points: [] }];
  const leaves = (node: number, out: number[]) => {
    const stack = [node];
    while (stack.length) {
      const x = stack.pop()!;
      if (x < n) out.push(x);
      else stack.push(left[x], right[x]);
    }
    return out;
  };
  const stack: Array<{ node: number; cluster: number }> = [{ node: root, cluster: 0 }];
  while (stack.length) {
    const { node, cluster } = stack.pop()!;
    if (node < n) {
      // Only reached when a single point is big enough to matter (never with minClusterSize ≥ 2).
      clusters[cluster].points.push({ p: node, lambda: parent[node] >= 0 ? lambdaOf(height[parent[node]]) : 0 });
      continue;
    }
    const lambda = lambdaOf(height[node]);
    const a = left[node];
    const b = right[node];
    const bigA = size[a] >= minClusterSize;
    const bigB = size[b] >= minClusterSize;
    if (bigA && bigB) {
      for (const child of [a, b]) {
        clusters.push({ birth: lambda, parent: cluster, children: [], stability: 0, points: [] });
        clusters[cluster].children.push(clusters.length - 1);
        stack.push({ node: child, cluster: clusters.length - 1 });
      }
    } else {
      for (const [child, big] of [
        [a, bigA],
        [b, bigB],
      ] as const) {
        if (big) stack.push({ node: child, cluster });
        else for (const p of leaves(child, [])) clusters[cluster].points.push({ p, lambda });
      }
    }
  }
  // Stability: Σ (λ at which a point or a child cluster leaves − λ at birth).
  for (let c = clusters.length - 1; c >= 0; c--) {
    const cl = clusters[c];
    let s = 0;
    for (const { lambda } of cl.points) s += lambda - cl.birth;
    for (const child of cl.children) s += (clusters[child].birth - cl.birth) * countPoints(clusters, child);
    cl.stability = s;
  }
  // Excess of mass: keep a cluster unless its children together are more stable. The root is only
  // chosen with allowSingleCluster, when nothing below it is.
  const selected = new Uint8Array(clusters.length);
  const subtree = new Float64Array(clusters.length);
  for (let c = clusters.length - 1; c >= 1; c--) {
    const cl = clusters[c];
    const childSum = cl.children.reduce((s, ch) => s + subtree[ch], 0);
    if (cl.children.length === 0 || cl.stability >= childSum) {
      selected[c] = 1;
      subtree[c] = cl.stability;
      const clear = [...cl.children];
      while (clear.length) {
        const x = clear.pop()!;
        selected[x] = 0;
        clear.push(...clusters[x].children);
      }
    } else subtree[c] = childSum;
  }

  // Points of a selected cluster: its own and its descendants'.
  const labels = new Int32Array(n).fill(-1);
  const membership = new Float64Array(n);
  const chosen = [...selected.keys()].filter((c) => selected[c]);
  if (chosen.length === 0 && options.allowSingleCluster) chosen.push(0);
  const groups = chosen.map((c) => {
    // The root holds every point, stragglers included: those that left it at under half the
    // typical density stay noise.
    if (c === 0) {
      const sorted = clusters[0].points.map((q) => q.lambda).sort((x, y) => x - y);
      const typical = sorted[Math.floor(sorted.length / 2)] ?? 0;
      return clusters[0].points.filter((q) => q.lambda >= typical / 2).map((q) => ({ p: q.p, lambda: q.lambda }));
    }
    const pts: Array<{ p: number; lambda: number }> = [];
    const todo = [c];
    while (todo.length) {
      const x = todo.pop()!;
      pts.push(...clusters[x].points.map((q) => ({ p: q.p, lambda: q.lambda })));
      todo.push(...clusters[x].children);
    }
    return pts;
  });
  groups.sort((x, y) => y.length - x.length);
  groups.forEach((pts, label) => {
    const maxLambda = Math.max(...pts.map((q) => (Number.isFinite(q.lambda) ? q.lambda : 0)), 1e-12);
    for (const { p, lambda } of pts) {
      labels[p] = label;
      membership[p] = Math.min(1, (Number.isFinite(lambda) ? lambda : maxLambda) / maxLambda);
    }
  });
  return { labels, clusters: groups.length, membership };
}

function countPoints(clusters: Array<{ points: unknown[]; children: number[] }>, c: number): number {
  let total = 0;
  const todo = [c];
  while (todo.length) {
    const x = todo.pop()!;
    total += clusters[x].points.length;
    todo.push(...clusters[x].children);
  }
  return total;
}

/** The k-th smallest value (0-based) of `values` (reorders it). */
function quickselect(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        [values[i], values[j]] = [values[j], values[i]];
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/** Cosine distances (1 − cos) between L2-normalised vectors, n × n (one GEMM). */
export async function cosineDistances(vectors: Float32Array[]): Promise<Float32Array> {
  const n = vectors.length;
  const D = vectors[0]?.length ?? 0;
  if (n === 0) return new Float32Array(0);
  const X = new Float32Array(n * D);
  const XT = new Float32Array(D * n);
  vectors.forEach((v, i) => {
    X.set(v, i * D);
    for (let d = 0; d < D; d++) XT[d * n + i] = v[d];
  });
  const S = await gemm(X, [n, D], XT, [D, n]);
  for (let i = 0; i < S.length; i++) S[i] = Math.max(0, 1 - S[i]);
  for (let i = 0; i < n; i++) S[i * n + i] = 0;
  return S;
}
