/**
 * The machine's own scaling ceiling for the load benchmark: the shipped embedder on one onnxruntime
 * thread, run in a loop for a fixed window that starts at a given wall-clock time, so that two copies
 * overlap exactly. Prints {"runsPerSecond": …} as JSON. Run by bench/load.ts, not by hand.
 *   tsx bench/kernel.ts <model.onnx> <startAtEpochMs> <windowMs>
 */
import { ort } from '../src/core/onnx-runtime.ts';

const [modelPath, startAt, windowMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const session = await ort.InferenceSession.create(modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
const [name] = session.inputNames;
// The side the model declares: the shipped embedders went from 160 to 224 px.
const [, , side] = session.inputMetadata[0]?.isTensor ? session.inputMetadata[0].shape : [];
if (typeof side !== 'number') throw new Error(`${modelPath} declares no fixed input size`);
const size = side;
const input = new ort.Tensor('float32', new Float32Array(3 * size * size).fill(0.1), [1, 3, size, size]);
await session.run({ [name]: input });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
let runs = 0;
const started = performance.now();
while (performance.now() - started < windowMs) {
  await session.run({ [name]: input });
  runs++;
}
console.log(JSON.stringify({ runsPerSecond: runs / ((performance.now() - started) / 1000) }));
await session.release();
