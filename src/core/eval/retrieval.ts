import { dot } from '../vector.ts';

/**
 * Retrieval metrics on L2-normalised embeddings, as metric-learning papers report them:
 * Recall@1 (is the nearest other face the same character?) and MAP@R (Musgrave et al. 2020).
 * Neighbours from the query's own group (same source image) are skipped, so near-duplicates
 * cannot flatter a model.
 */
export interface RetrievalItem {
  embedding: Float32Array;
  label: string;
  group?: string;
}

export function retrievalMetrics(items: RetrievalItem[]): { recallAt1: number; mapAtR: number; queries: number } {
  let recall = 0;
  let mapSum = 0;
  let queries = 0;
  const sims = new Float64Array(items.length);
  for (let q = 0; q < items.length; q++) {
    const query = items[q];
    const candidates: number[] = [];
    for (let j = 0; j < items.length; j++) {
      if (j === q || (query.group !== undefined && items[j].group === query.group)) continue;
      sims[j] = dot(query.embedding, items[j].embedding);
      candidates.push(j);
    }
    const R = candidates.filter((j) => items[j].label === query.label).length;
    if (R === 0 || candidates.length === 0) continue;
    candidates.sort((a, b) => sims[b] - sims[a]);
    queries++;
    if (items[candidates[0]].label === query.label) recall++;
    let hits = 0;
    let precisionSum = 0;
    for (let r = 0; r < R; r++) {
      if (items[candidates[r]].label === query.label) {
        hits++;
        precisionSum += hits / (r + 1);
      }
    }
    mapSum += precisionSum / R;
  }
  return { recallAt1: queries ? recall / queries : 0, mapAtR: queries ? mapSum / queries : 0, queries };
}
