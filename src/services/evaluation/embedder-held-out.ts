import { retrievalMetrics } from '../../core/eval/retrieval.ts';
import { predict, trainHead } from '../../core/head/softmax-head.ts';
import type { Embedder } from '../../core/types.ts';
import type { Store } from '../../store/index.ts';
import { readCrop } from '../embedder-swap.ts';
import type { TrainingItem } from '../training-set.ts';

export interface HeldOutMetrics {
  /** Head fit on train faces, top candidate on test faces of the same characters. */
  closedTop1: number | null;
  /** Characters never trained on: retrieval among themselves. */
  unseenRecallAt1: number | null;
  unseenMapAtR: number | null;
  /** Characters never trained on, taught with 5 examples each through the head only. */
  unseenFiveShotTop1: number | null;
  /**
   * The same 5-shot characters taught into a head that also knows every trained character (the DLC
   * case: a new idol among the known ones), top candidate on their other faces.
   */
  unseenFiveShotAmongKnownTop1: number | null;
  testFaces: number;
  unseenFaces: number;
}

/** Runs one piece of onnxruntime work in its turn (the services' queue); directly by default. */
export type Turn = <T>(job: () => Promise<T>) => Promise<T>;
const direct: Turn = (job) => job();

/** Embeddings of the items under one model: stored ones when present, else computed from crops. */
export async function embeddingsFor(
  store: Store,
  items: TrainingItem[],
  version: string,
  embedder: Embedder,
  turn: Turn = direct,
): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(items.length);
  const missing: number[] = [];
  items.forEach((item, i) => {
    const stored = store.embeddings.get(item.faceId, version);
    if (stored) out[i] = stored;
    else missing.push(i);
  });
  await embedCrops(items, missing, embedder, out, turn);
  return out;
}

/** Embeds the crops of items[indices] in batches into `out` (same indices), each batch in its turn. */
export async function embedCrops(
  items: TrainingItem[],
  indices: number[],
  embedder: Embedder,
  out: Float32Array[],
  turn: Turn = direct,
): Promise<void> {
  for (let k = 0; k < indices.length; k += 32) {
    const batch = indices.slice(k, k + 32);
    const crops = await Promise.all(batch.map((i) => readCrop(items[i].path)));
    const vectors = await turn(() => embedder.embed(crops));
    batch.forEach((i, j) => (out[i] = vectors[j]));
  }
}

/**
 * `embeddings` judge closed-set accuracy; `unseenEmbeddings` (default: the same) judge the held-out
 * characters. They differ when the served model was retrained on every label after a selection run
 * that held those characters out: only the selection model has never seen them.
 */
export async function heldOutMetrics(
  items: TrainingItem[],
  embeddings: Float32Array[],
  unseenEmbeddings = embeddings,
): Promise<HeldOutMetrics> {
  const idx = (split: TrainingItem['split']) =>
    items.map((it, i) => (it.split === split ? i : -1)).filter((i) => i >= 0);
  const train = idx('train');
  const test = idx('test');
  const val = idx('val');
  let closedTop1: number | null = null;
  if (train.length > 0 && test.length > 0) {
    const head = await trainHead(
      train.map((i) => embeddings[i]),
      train.map((i) => items[i].label),
    );
    const hits = test.filter((i) => predict(head, embeddings[i]).candidates[0]?.label === items[i].label).length;
    closedTop1 = hits / test.length;
  }
  let unseen: { recallAt1: number; mapAtR: number } | null = null;
  let fiveShot: number | null = null;
  let amongKnown: number | null = null;
  if (val.length > 0) {
    const e = unseenEmbeddings;
    unseen = retrievalMetrics(val.map((i) => ({ embedding: e[i], label: items[i].label, group: items[i].group })));
    const shots: number[] = [];
    const queries: number[] = [];
    const seen = new Map<string, number>();
    for (const i of val) {
      const n = seen.get(items[i].label) ?? 0;
      (n < 5 ? shots : queries).push(i);
      seen.set(items[i].label, n + 1);
    }
    if (queries.length > 0) {
      const hits = async (taught: number[]) => {
        const head = await trainHead(
          taught.map((i) => e[i]),
          taught.map((i) => items[i].label),
        );
        return (
          queries.filter((i) => predict(head, e[i]).candidates[0]?.label === items[i].label).length / queries.length
        );
      };
      fiveShot = await hits(shots);
      if (train.length > 0) amongKnown = await hits([...train, ...shots]);
    }
  }
  return {
    closedTop1,
    unseenRecallAt1: unseen?.recallAt1 ?? null,
    unseenMapAtR: unseen?.mapAtR ?? null,
    unseenFiveShotTop1: fiveShot,
    unseenFiveShotAmongKnownTop1: amongKnown,
    testFaces: test.length,
    unseenFaces: val.length,
  };
}

/** The new model serves only if no held-out figure dropped by more than `tolerance`. */
export function isNotWorse(
  candidate: HeldOutMetrics,
  current: HeldOutMetrics,
  tolerance = 0.005,
): { ok: boolean; reason: string } {
  const keys = ['closedTop1', 'unseenMapAtR', 'unseenFiveShotTop1'] as const;
  const compared = keys.filter((k) => candidate[k] !== null && current[k] !== null);
  if (compared.length === 0) return { ok: false, reason: 'not enough labelled faces to judge a new embedder yet' };
  const drops = compared.filter((k) => candidate[k]! < current[k]! - tolerance);
  if (drops.length > 0) {
    return {
      ok: false,
      reason: `held-out ${drops.map((k) => `${k} ${current[k]!.toFixed(3)} → ${candidate[k]!.toFixed(3)}`).join(', ')} dropped`,
    };
  }
  return {
    ok: true,
    reason: compared.map((k) => `${k} ${current[k]!.toFixed(3)} → ${candidate[k]!.toFixed(3)}`).join(', '),
  };
}
