/** Section embed: embedding throughput by batch size and onnxruntime threads. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage } from '../../src/core/decode.ts';
import { OnnxEmbedder, type EmbedderSpec } from '../../src/core/embed/onnx-embedder.ts';
import { resolveModelFile } from '../../src/core/models/cache.ts';
import { getModel } from '../../src/core/models/manifest.ts';
import type { RgbImage } from '../../src/core/types.ts';
import { BASE_EMBEDDER_ID } from '../../src/services/embedder-registry.ts';
import { benchModelSources, round, sharedRows } from '../common.ts';
import { SHARED_DATA } from '../env.ts';
import type { Suite } from './suite.ts';

/** The ImageNet base embedder end to end (resize, normalise, onnxruntime) on nagadomi10 crops. */
export async function embedSection(suite: Suite) {
  const file = await resolveModelFile(benchModelSources(), BASE_EMBEDDER_ID);
  const entry = getModel(BASE_EMBEDDER_ID);
  const spec: EmbedderSpec = {
    input: entry.input as EmbedderSpec['input'],
    output: entry.output as EmbedderSpec['output'],
  };
  const rows = sharedRows(SHARED_DATA, 'nagadomi10').slice(0, suite.quick ? 32 : 64);
  const crops: RgbImage[] = await Promise.all(
    rows.map(async (r) => decodeImage(await readFile(path.join(SHARED_DATA, 'nagadomi10', r.path)))),
  );
  const runs: Array<{ threads: number; batch: number; cropsPerSecond: number; msPerCrop: number }> = [];
  for (const threads of [1, 2]) {
    for (const batch of [1, 4, 16, 32]) {
      const embedder = await OnnxEmbedder.load(file, spec, 'bench', {
        device: 'cpu',
        intraOpThreads: threads,
        batchSize: batch,
      });
      await embedder.embed(crops.slice(0, batch)); // warm-up
      const t0 = performance.now();
      await embedder.embed(crops);
      const ms = performance.now() - t0;
      runs.push({
        threads,
        batch,
        cropsPerSecond: round((crops.length / ms) * 1000),
        msPerCrop: round(ms / crops.length, 2),
      });
      await embedder.dispose();
    }
  }
  return {
    crops: crops.length,
    inputSize: spec.input.size,
    dim: spec.output.dim,
    note: 'embed() end to end: resize + normalise + onnxruntime',
    runs,
  };
}
