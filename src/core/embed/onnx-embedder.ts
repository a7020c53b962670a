import type * as ort from 'onnxruntime-node';
import { ort as ortRuntime } from '../onnx-runtime.ts';
import { resizeRgbLinear } from '../crop.ts';
import type { Embedder, EmbedderSpec, RgbImage } from '../types.ts';
import { l2normalise } from '../vector.ts';
import { createSession, type SessionOptions } from './onnx-session.ts';

/** What an embedder ONNX file expects and produces (the manifest's and the trainer's model.json). */
export type { EmbedderSpec } from '../types.ts';

/**
 * Crops per onnxruntime run: 16 at 160 px, fewer for larger inputs, so that a batch holds about the
 * same number of pixels. The CPU arena keeps the largest batch's activations: at 224 px a batch of
 * 16 (32 views with the mirror images) raised the peak memory of tagging 47 odd inputs by about 200 MiB.
 */
export function defaultBatchSize(inputSize: number): number {
  return Math.max(1, Math.round(16 * (160 / inputSize) ** 2));
}

export class OnnxEmbedder implements Embedder {
  private constructor(
    readonly version: string,
    readonly provider: string,
    private readonly session: ort.InferenceSession,
    private readonly spec: EmbedderSpec,
    private readonly batchSize: number,
    private readonly flipAverage: boolean,
  ) {}

  get dim(): number {
    return this.spec.output.dim;
  }

  static async load(
    modelPath: string,
    spec: EmbedderSpec,
    version: string,
    options: SessionOptions & { batchSize?: number; flipAverage?: boolean } = {},
  ): Promise<OnnxEmbedder> {
    const { session, provider } = await createSession(modelPath, options);
    return new OnnxEmbedder(
      version,
      provider,
      session,
      spec,
      options.batchSize ?? defaultBatchSize(spec.input.size),
      options.flipAverage ?? spec.flipAverage ?? false,
    );
  }

  async embed(crops: RgbImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < crops.length; i += this.batchSize) {
      out.push(...(await this.embedBatch(crops.slice(i, i + this.batchSize))));
    }
    return out;
  }

  /**
   * With flipAverage, each crop is embedded together with its mirror image and the two vectors are
   * summed: characters are drawn facing either way, and the average is steadier than either view.
   */
  private async embedBatch(crops: RgbImage[]): Promise<Float32Array[]> {
    const { size, mean, std, name } = this.spec.input;
    const plane = size * size;
    const views = this.flipAverage ? 2 : 1;
    const count = crops.length * views;
    const input = new Float32Array(count * 3 * plane);
    for (let n = 0; n < crops.length; n++) {
      const { data } = await resizeRgbLinear(crops[n], size, size);
      for (let v = 0; v < views; v++) {
        const base = (n * views + v) * 3 * plane;
        for (let c = 0; c < 3; c++) {
          const scale = 1 / (255 * std[c]);
          const shift = mean[c] / std[c];
          const dst = base + c * plane;
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++) {
              const sx = v === 0 ? x : size - 1 - x;
              input[dst + y * size + x] = data[(y * size + sx) * 3 + c] * scale - shift;
            }
          }
        }
      }
    }
    const tensor = new ortRuntime.Tensor('float32', input, [count, 3, size, size]);
    const result = await this.session.run({ [name]: tensor }, [this.spec.output.name]);
    const flat = result[this.spec.output.name].data as Float32Array;
    const dim = this.spec.output.dim;
    return crops.map((_, n) => {
      const sum = new Float32Array(dim);
      for (let v = 0; v < views; v++) {
        const view = l2normalise(Float32Array.from(flat.subarray((n * views + v) * dim, (n * views + v + 1) * dim)));
        for (let d = 0; d < dim; d++) sum[d] += view[d];
      }
      return l2normalise(sum);
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
