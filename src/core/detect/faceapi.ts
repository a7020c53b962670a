import { createRequire } from 'node:module';
import path from 'node:path';
import type { DetectedFace, FaceDetector, RgbImage } from '../types.ts';
import { finishFaces } from './boxes.ts';

const require = createRequire(import.meta.url);

export type FaceApiSettings = {
  /** "ssd": SSD MobileNet v1 (slower, finds more); "tiny": TinyFaceDetector. */
  model: 'ssd' | 'tiny';
  minConfidence: number;
  /** TinyFaceDetector input size (a multiple of 32). */
  inputSize: number;
};

export const FACEAPI_DEFAULTS: FaceApiSettings = { model: 'ssd', minConfidence: 0.5, inputSize: 416 };

interface FaceApiResult {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}
interface Tensor {
  dispose(): void;
}
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): Tensor;
    env(): { set(flag: string, value: unknown): void };
  };
  nets: Record<'ssdMobilenetv1' | 'tinyFaceDetector', { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean }>;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: Tensor, options: unknown): Promise<FaceApiResult[]>;
}

let api: Promise<FaceApi> | undefined;

/**
 * face-api's default entry needs tfjs-node (a native build); the wasm bundle runs on the pure
 * @tensorflow/tfjs + tfjs-backend-wasm packages. The weights ship in the npm package's model/.
 */
async function loadFaceApi(): Promise<FaceApi> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
  wasm.setWasmPaths(
    path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep,
  );
  if (!(await faceapi.tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not start');
  await faceapi.tf.ready();
  return faceapi;
}

function modelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

export class FaceApiDetector implements FaceDetector {
  readonly id = 'faceapi';
  readonly settings: FaceApiSettings;

  constructor(settings: Partial<FaceApiSettings> = {}) {
    this.settings = { ...FACEAPI_DEFAULTS, ...settings };
  }

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    return finishFaces(await this.detectUnclipped(image), image.width, image.height);
  }

  async detectUnclipped(image: RgbImage): Promise<DetectedFace[]> {
    api ??= loadFaceApi().catch((err) => {
      api = undefined;
      throw err;
    });
    const faceapi = await api;
    const s = this.settings;
    const net = faceapi.nets[s.model === 'ssd' ? 'ssdMobilenetv1' : 'tinyFaceDetector'];
    if (!net.isLoaded) await net.loadFromDisk(modelDir());
    const options =
      s.model === 'ssd'
        ? new faceapi.SsdMobilenetv1Options({ minConfidence: s.minConfidence, maxResults: 100 })
        : new faceapi.TinyFaceDetectorOptions({ inputSize: s.inputSize, scoreThreshold: s.minConfidence });
    const tensor = faceapi.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    try {
      const found = await faceapi.detectAllFaces(tensor, options);
      return found.map((d) => ({
        x: d.box.x,
        y: d.box.y,
        w: d.box.width,
        h: d.box.height,
        score: d.score,
        detector: this.id,
      }));
    } finally {
      tensor.dispose();
    }
  }
}
