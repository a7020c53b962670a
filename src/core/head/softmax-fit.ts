import { ort } from '../onnx-runtime.ts';
import { buildSoftmaxGradientGraph } from './gradient-graph.ts';
import { minimiseLbfgs } from './lbfgs.ts';

/** Class-balanced softmax regression on centred rows X (N × D); returns [W (D × C) row-major, b]. */
export async function fitSoftmax(
  X: Float32Array,
  classOf: Int32Array,
  counts: Float64Array,
  N: number,
  D: number,
  C: number,
  l2 = 3e-5,
  maxIterations = 200,
  init?: Float64Array,
): Promise<Float64Array> {
  const session = await gradientSession();
  // Class-balanced: every character weighs the same in the loss, however many faces it has.
  const Yw = new Float32Array(N * C);
  for (let i = 0; i < N; i++) Yw[i * C + classOf[i]] = 1 / (C * counts[classOf[i]]);
  const xTensor = new ort.Tensor('float32', X, [N, D]);
  const ywTensor = new ort.Tensor('float32', Yw, [N, C]);
  const W = new Float32Array(D * C);
  const b = new Float32Array(C);
  const params = init ?? new Float64Array(D * C + C);
  const evaluate = async (p: Float64Array, grad: Float64Array): Promise<number> => {
    for (let k = 0; k < D * C; k++) W[k] = p[k];
    for (let c = 0; c < C; c++) b[c] = p[D * C + c];
    const out = await session.run({
      X: xTensor,
      W: new ort.Tensor('float32', W, [D, C]),
      b: new ort.Tensor('float32', b, [C]),
      Yw: ywTensor,
    });
    const gW = out.gradW.data as Float32Array;
    const gb = out.gradb.data as Float32Array;
    let loss = (out.loss.data as Float32Array)[0];
    for (let k = 0; k < D * C; k++) {
      grad[k] = gW[k] + l2 * p[k];
      loss += 0.5 * l2 * p[k] * p[k];
    }
    for (let c = 0; c < C; c++) grad[D * C + c] = gb[c];
    return loss;
  };
  await minimiseLbfgs(params, evaluate, { maxIterations });
  return params;
}

let gradientSessionPromise: Promise<ort.InferenceSession> | undefined;
function gradientSession(): Promise<ort.InferenceSession> {
  gradientSessionPromise ??= ort.InferenceSession.create(buildSoftmaxGradientGraph(), { executionProviders: ['cpu'] });
  return gradientSessionPromise;
}
