import { ort } from '../onnx-runtime.ts';
import { buildMatMulGraph } from './gradient-graph.ts';

let session: Promise<ort.InferenceSession> | undefined;

/**
 * A·B for scoring a screenshot's faces against a head (scoringMatrix). One thread: the product is small,
 * and a pool's threads spin after each run, taking the cores from the detector and embedder that run next on a
 * 2-core host (measured: detection 1.5 ms slower per screenshot with the default pool).
 */
export async function scoreGemm(a: Float32Array, aDims: [number, number], b: Float32Array, bDims: [number, number]) {
  session ??= ort.InferenceSession.create(buildMatMulGraph(false), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const out = await (await session).run({
    A: new ort.Tensor('float32', a, aDims),
    B: new ort.Tensor('float32', b, bDims),
  });
  return out.Y.data as Float32Array;
}
