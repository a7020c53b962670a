/** Section head: head refit time on synthetic faces, and the reduced fit's accuracy against the exact one. */
import { getModel } from '../../src/core/models/manifest.ts';
import { EXACT_FIT_WORK, predict, trainHead } from '../../src/core/head/softmax-head.ts';
import { BASE_EMBEDDER_ID } from '../../src/services/embedder-registry.ts';
import { round } from '../common.ts';
import { syntheticEmbeddings } from '../synthetic.ts';
import type { Suite } from './suite.ts';

/** 1k / 10k / 50k faces × 20 / 200 characters of clustered synthetic embeddings of the active dimension. */
export async function headSection(suite: Suite) {
  const dim = suite.tagServices
    ? (await suite.tagServices.embedders.activeEmbedder()).dim
    : (getModel(BASE_EMBEDDER_ID).output as { dim: number }).dim;
  const sizes = suite.quick
    ? [
        [1000, 20],
        [10000, 200],
        [50000, 200],
      ]
    : [
        [1000, 20],
        [1000, 200],
        [10000, 20],
        [10000, 200],
        [50000, 20],
        [50000, 200],
      ];
  const refits: Array<Record<string, unknown>> = [];
  for (const [n, classes] of sizes) {
    const { embeddings, labels } = await syntheticEmbeddings({ n, classes, dim, between: classes > 50 ? 0.7 : 0.35 });
    await trainHead(embeddings.slice(0, 200), labels.slice(0, 200)); // sessions warm
    const times: number[] = [];
    const cpus: number[] = [];
    for (let k = 0; k < (suite.quick ? 1 : 2); k++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await trainHead(embeddings, labels);
      times.push(performance.now() - t0);
      const cpu = process.cpuUsage(c0);
      cpus.push((cpu.user + cpu.system) / 1000);
    }
    refits.push({
      faces: n,
      characters: classes,
      dim,
      fit: n * dim * classes > EXACT_FIT_WORK ? 'reduced' : 'exact',
      wallMs: round(Math.min(...times), 0),
      cpuMs: round(Math.min(...cpus), 0),
      runs: times.map((t) => round(t, 0)),
    });
  }
  // The reduced fit against the exact one, on held-out synthetic faces (both fits possible here).
  const quality: Array<Record<string, unknown>> = [];
  for (const [n, classes] of suite.quick
    ? [[4000, 200]]
    : [
        [6000, 200],
        [6000, 20],
      ]) {
    const { embeddings, labels } = await syntheticEmbeddings({
      n: n + 2000,
      classes,
      dim,
      seed: 5,
      between: classes > 50 ? 0.7 : 0.35,
    });
    const train = embeddings.slice(0, n);
    const trainLabels = labels.slice(0, n);
    const row: Record<string, unknown> = { faces: n, characters: classes, heldOut: 2000 };
    for (const fit of ['exact', 'auto'] as const) {
      const t0 = performance.now();
      const head = await trainHead(train, trainLabels, { fit: fit === 'auto' ? 'auto' : 'exact' });
      const ms = performance.now() - t0;
      let top1 = 0;
      let named = 0;
      embeddings.slice(n).forEach((v, i) => {
        const p = predict(head, v);
        if (p.candidates[0]?.label === labels[n + i]) top1++;
        if (p.label === labels[n + i]) named++;
      });
      row[fit === 'auto' ? 'reduced' : 'exact'] = {
        wallMs: round(ms, 0),
        top1: round(top1 / 2000, 3),
        labelAccuracy: round(named / 2000, 3),
      };
    }
    quality.push(row);
  }
  return { exactFitWork: EXACT_FIT_WORK, refits, reducedVsExact: quality, target: '50k faces × 200 characters ≤ 2 s' };
}
