import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OnnxEmbedder, type EmbedderSpec } from '../core/embed/onnx-embedder.ts';
import { resolveModelFile, shortHash } from '../core/models/cache.ts';
import { getModel } from '../core/models/manifest.ts';
import type { Embedder } from '../core/types.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';

export const BASE_EMBEDDER_ID = 'mobilenetv2_pool';

export interface EmbedderOptions {
  device?: 'auto' | 'cuda' | 'cpu';
  threads?: number;
}

/**
 * Trained models embed each crop together with its mirror image. The trainer flips its examples at
 * random, so both views are in-distribution, and characters are drawn facing either way. Measured on
 * nagadomi10's test split after CPU trainings (bench/backbone.ts): best-candidate top-1 0.930 → 0.946
 * and 0.951 → 0.962 in two runs.
 * The ImageNet base model keeps single views, so databases made before stay consistent.
 */
export const TRAINED_FLIP_AVERAGE = true;

/** Reads an embedder spec from a trainer's model.json. */
export function readTrainedSpec(modelDir: string): EmbedderSpec {
  const raw = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  return {
    input: { name: raw.input.name, size: raw.input.size, mean: raw.input.mean, std: raw.input.std },
    output: { name: raw.output.name, dim: raw.output.dim },
    flipAverage: TRAINED_FLIP_AVERAGE,
  };
}

/**
 * Knows which embedder version serves, loads it once, and registers the ImageNet base model as
 * the first version on a fresh database.
 */
export class ModelRegistry {
  private loaded = new Map<string, Promise<Embedder>>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: EmbedderOptions = {},
    /** Trained models live under <dataDir>/models; their paths are stored relative to it. */
    private readonly dataDir?: string,
  ) {}

  /**
   * The ONNX file of a trained version. Paths are stored relative to the data folder; older rows
   * hold absolute paths, which are looked up under this data folder's models/ when the folder was
   * restored or moved elsewhere.
   */
  modelFile(versionId: string): string {
    const row = this.store.models.get(versionId);
    if (!row) throw new Error(`Unknown model version ${versionId}`);
    if (!this.dataDir) return row.path;
    if (!path.isAbsolute(row.path)) return path.join(this.dataDir, row.path);
    if (existsSync(row.path)) return row.path;
    const moved = path.join(this.dataDir, 'models', versionId, path.basename(row.path));
    return existsSync(moved) ? moved : row.path;
  }

  async ensureBaseModel(): Promise<void> {
    if (this.store.models.active()) return;
    const file = await resolveModelFile(BASE_EMBEDDER_ID);
    const entry = getModel(BASE_EMBEDDER_ID);
    const spec: EmbedderSpec = {
      input: entry.input as EmbedderSpec['input'],
      output: entry.output as EmbedderSpec['output'],
    };
    const id = `${BASE_EMBEDDER_ID}@${await shortHash(file)}`;
    this.store.models.upsert({ id, path: file, specJson: JSON.stringify(spec) });
    this.store.models.activate(id);
    this.logger.info({ model: id }, 'registered the base embedder');
  }

  activeVersion(): string {
    const active = this.store.models.active();
    if (!active) throw new Error('No embedder is active; run ensureBaseModel() first');
    return active.id;
  }

  async activeEmbedder(): Promise<Embedder> {
    return this.embedder(this.activeVersion());
  }

  embedder(versionId: string): Promise<Embedder> {
    let pending = this.loaded.get(versionId);
    if (!pending) {
      const row = this.store.models.get(versionId);
      if (!row) throw new Error(`Unknown model version ${versionId}`);
      pending = (async () => {
        // The base model's file lives in the model cache and may need fetching again.
        const file = versionId.startsWith(`${BASE_EMBEDDER_ID}@`) ? await resolveModelFile(BASE_EMBEDDER_ID) : this.modelFile(versionId);
        const spec = JSON.parse(row.spec_json) as EmbedderSpec;
        return OnnxEmbedder.load(file, spec, versionId, { device: this.options.device, intraOpThreads: this.options.threads });
      })();
      pending.catch(() => this.loaded.delete(versionId));
      this.loaded.set(versionId, pending);
    }
    return pending;
  }

  async close(): Promise<void> {
    for (const pending of this.loaded.values()) {
      await (await pending.catch(() => undefined))?.dispose?.();
    }
    this.loaded.clear();
  }
}
