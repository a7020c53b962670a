import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ort } from '../core/onnx-runtime.ts';
import {
  embedCrops,
  heldOutMetrics,
  embeddingsFor,
  type Turn,
  isNotWorse,
  type HeldOutMetrics,
} from './evaluation/embedder-held-out.ts';
import type { ServiceBlocks } from './service-blocks.ts';
import { readTrainedSpec, resolveVersionName } from './embedder-registry.ts';
import { activateEmbedder, type SwapProgress } from './embedder-swap.ts';
import { OnnxEmbedder } from '../core/embed/onnx-embedder.ts';
import { acquireTrainingLock } from './training-lock.ts';
import { buildTrainingSet, type TrainingItem } from './training-set.ts';
import { TrainerUnavailableError, checkTrainerPython, runTrainer, type TrainerEvent } from './trainer-process.ts';

/** The ImageNet INT8 file the trainer de-quantises when a training starts from ImageNet. */
const IMAGENET_INT8_ID = 'mobilenetv2_12_int8';

export interface EmbedderTrainingOptions {
  epochs?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  /** Train even if few labels arrived since the last run. */
  force?: boolean;
  minNewLabels?: number;
  /**
   * Where the training starts: 'active' (default) from the serving model's checkpoint, or the shipped
   * default's when the ImageNet base serves; 'imagenet' from the ImageNet weights.
   */
  from?: 'active' | 'imagenet';
  /** Extra trainer flags (e.g. ['--max-steps', '3'] in tests). */
  trainerArgs?: string[];
  onProgress?: (event: TrainerEvent | SwapProgress) => void;
  signal?: AbortSignal;
}

export interface EmbedderTrainingOutcome {
  status: 'activated' | 'rejected' | 'skipped' | 'failed';
  reason: string;
  runId?: number;
  version?: string;
  current?: HeldOutMetrics;
  candidate?: HeldOutMetrics;
}

/** Checks onnxruntime-node against the trainer's own output on its formula-defined input. */
async function checkParity(modelDir: string): Promise<number> {
  const samples = JSON.parse(readFileSync(path.join(modelDir, 'samples.json'), 'utf8'));
  const [, channels, height, width] = samples.synthetic.shape as number[];
  const input = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let h = 0; h < height; h++)
      for (let w = 0; w < width; w++) input[(c * height + h) * width + w] = ((7 * c + 3 * h + 5 * w) % 17) / 8 - 1;
  const spec = readTrainedSpec(modelDir);
  const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), { executionProviders: ['cpu'] });
  try {
    const out = await session.run({
      [spec.input.name]: new ort.Tensor('float32', input, [1, channels, height, width]),
    });
    const got = out[spec.output.name].data as Float32Array;
    const want = samples.synthetic.embedding as number[];
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    return maxDiff;
  } finally {
    await session.release();
  }
}

/**
 * Embeddings under the trainer's selection model (trained without the held-out characters), when the
 * served model was retrained on every label; undefined when there is no separate selection model.
 */
async function selectionEmbeddings(
  items: TrainingItem[],
  modelDir: string,
  version: string,
  turn: Turn,
): Promise<Float32Array[] | undefined> {
  const dir = path.join(modelDir, 'selection');
  if (!existsSync(path.join(dir, 'model.json'))) return undefined;
  const embedder = await OnnxEmbedder.load(path.join(dir, 'model.onnx'), readTrainedSpec(dir), `${version}/selection`);
  try {
    // Held-out characters, and the trained ones they are taught among; test faces are not needed.
    const wanted = items.map((it, i) => (it.split === 'test' ? -1 : i)).filter((i) => i >= 0);
    const out: Float32Array[] = new Array(items.length);
    await embedCrops(items, wanted, embedder, out, turn);
    return out;
  } finally {
    await embedder.dispose();
  }
}

/** The ImageNet start's input size: the trainer's measured default for it. */
const IMAGENET_INPUT_SIZE = 160;

/**
 * The trainer flags for where a training starts, always from files the manifest or the data folder
 * resolves: a checkpoint (`--init`, the serving model's, else the shipped default's) or the ImageNet
 * INT8 file (`--source-onnx`). The input size follows the starting model.
 */
async function startingPoint(
  services: ServiceBlocks,
  currentVersion: string,
  from: 'active' | 'imagenet',
): Promise<{ args: string[]; inputSize: number }> {
  if (from === 'active') {
    for (const version of [currentVersion, resolveVersionName('default')]) {
      const checkpoint = await services.embedders.checkpointFile(version);
      const row = services.store.embedders.get(version);
      if (checkpoint && row) return { args: ['--init', checkpoint], inputSize: row.spec.input.size };
    }
  }
  return {
    args: ['--source-onnx', await services.embedders.manifestFile(IMAGENET_INT8_ID)],
    inputSize: IMAGENET_INPUT_SIZE,
  };
}

/**
 * Fine-tunes the embedder on every label people gave, in the trainer process, then serves the
 * result only if held-out figures did not drop. Until the final switch (one transaction) the old
 * model keeps serving, so a crash or kill at any step leaves it in place.
 */
export async function trainEmbedder(
  services: ServiceBlocks,
  options: EmbedderTrainingOptions = {},
): Promise<EmbedderTrainingOutcome> {
  const { store } = services;
  const labelsNow = store.labels.countHuman(null);
  const last = store.trainingRuns.lastSucceeded('backbone');
  const labelsThen = Number(last?.metrics?.labels ?? 0);
  if (!options.force && labelsNow - labelsThen < (options.minNewLabels ?? 200)) {
    return { status: 'skipped', reason: `only ${labelsNow - labelsThen} new labels since the last embedder training` };
  }
  try {
    await checkTrainerPython(services.trainerPython);
  } catch (err) {
    if (err instanceof TrainerUnavailableError) return { status: 'failed', reason: err.message };
    throw err;
  }
  const release = acquireTrainingLock(store);
  const runId = store.trainingRuns.start('backbone', null);
  const currentVersion = services.embedders.activeVersion();
  try {
    const items = buildTrainingSet(store, services.files);
    const workDir = path.join(services.files.dataDir, 'training', `run-${runId}`);
    const staging = path.join(workDir, 'staging');
    mkdirSync(staging, { recursive: true });
    const datasetPath = path.join(workDir, 'dataset.json');
    const start = await startingPoint(services, currentVersion, options.from ?? 'active');
    // "test" faces go along to be watched (the trainer picks its epoch on them too), never trained on.
    const trainerItems = items.map(({ path: p, label, group, split }) => ({ path: p, label, group, split }));
    writeFileSync(datasetPath, JSON.stringify({ version: 1, input_size: start.inputSize, items: trainerItems }));

    const args = [
      'train',
      '--dataset',
      datasetPath,
      '--out',
      staging,
      '--device',
      options.device ?? 'auto',
      ...start.args,
    ];
    if (options.epochs) args.push('--epochs', String(options.epochs));
    const done = await runTrainer(
      services.trainerPython,
      [...args, ...(options.trainerArgs ?? [])],
      options.onProgress,
      options.signal,
    );

    const parity = await checkParity(staging);
    if (!(parity < 1e-3)) throw new Error(`exported model disagrees with the trainer (max diff ${parity})`);
    const modelJson = JSON.parse(readFileSync(path.join(staging, 'model.json'), 'utf8'));
    const version = `backbone-${runId}@${String(modelJson.id).slice(0, 8)}`;
    const modelDir = path.join(services.files.dataDir, 'models', version);
    mkdirSync(path.dirname(modelDir), { recursive: true });
    renameSync(staging, modelDir);
    store.embedders.upsert({
      id: version,
      // Relative to the data folder, so a backup restored elsewhere still finds it.
      path: path.join('models', version, 'model.onnx'),
      spec: readTrainedSpec(modelDir),
      parentId: currentVersion,
      metrics: { trainer: (done as { metrics?: unknown }).metrics, parity },
    });

    // Embedding batches and head fits take their turn in the queue, so tagging goes on meanwhile.
    const turn: Turn = (job) => services.queue.run(job, { whenFull: 'wait' });
    const currentEmbeddings = await embeddingsFor(
      store,
      items,
      currentVersion,
      await services.embedders.embedder(currentVersion),
      turn,
    );
    const current = await turn(() => heldOutMetrics(items, currentEmbeddings));
    const candidateEmbeddings = await embeddingsFor(
      store,
      items,
      version,
      await services.embedders.embedder(version),
      turn,
    );
    const unseenEmbeddings = await selectionEmbeddings(items, modelDir, version, turn);
    const candidate = await turn(() => heldOutMetrics(items, candidateEmbeddings, unseenEmbeddings));
    const verdict = isNotWorse(candidate, current);
    const metrics = { labels: labelsNow, current, candidate, parity, verdict: verdict.reason };
    if (!verdict.ok) {
      store.trainingRuns.finish(runId, 'rejected', { modelVersion: version, metrics });
      return { status: 'rejected', reason: verdict.reason, runId, version, current, candidate };
    }
    await activateEmbedder(services, version, options.onProgress);
    store.trainingRuns.finish(runId, 'succeeded', { modelVersion: version, metrics });
    return { status: 'activated', reason: verdict.reason, runId, version, current, candidate };
  } catch (err) {
    store.trainingRuns.finish(runId, 'failed', { error: (err as Error).message });
    return { status: 'failed', reason: (err as Error).message, runId };
  } finally {
    release();
  }
}
