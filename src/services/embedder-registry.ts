import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OnnxEmbedder, type EmbedderSpec } from '../core/embed/onnx-embedder.ts';
import { resolveModelFile, type ModelSources } from '../core/models/cache.ts';
import { getModel, loadManifest, type ModelEntry } from '../core/models/manifest.ts';
import type { Embedder } from '../core/types.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';

/** The stored path of a manifest embedder's version: its files are resolved through the model cache. */
const MANIFEST_PATH_PREFIX = 'manifest:';

/** The ImageNet MobileNetV2 features: every data folder's model before idoltag shipped its own. */
export const BASE_EMBEDDER_ID = 'mobilenetv2_pool';

export interface EmbedderOptions {
  device?: 'auto' | 'cuda' | 'cpu';
  threads?: number;
}

/** The embedders of models/manifest.json: the ImageNet base, and the ones idoltag trained and ships. */
export function manifestEmbedders(): ModelEntry[] {
  return loadManifest().filter((m) => m.kind === 'embedder');
}

/** The embedder a new data folder starts on: the manifest's `default` one, else the ImageNet base. */
export function defaultEmbedderId(): string {
  return manifestEmbedders().find((m) => m.default)?.id ?? BASE_EMBEDDER_ID;
}

/** A manifest embedder's version id: its id and the start of its ONNX file's sha256. */
export function manifestVersionId(entry: ModelEntry): string {
  const sha = entry.files[0].sha256;
  if (!sha) throw new Error(`models/manifest.json gives no sha256 for embedder "${entry.id}"`);
  return `${entry.id}@${sha.slice(0, 8)}`;
}

/** The manifest entry a version id belongs to, when it is a manifest embedder's version. */
export function manifestEntryOf(versionId: string): ModelEntry | undefined {
  return manifestEmbedders().find((m) => versionId === manifestVersionId(m));
}

/**
 * Short names `idoltag embedder activate` accepts besides version ids: `imagenet` for the ImageNet
 * base, `default` for the shipped default, and each manifest embedder's id.
 */
export function resolveVersionName(name: string): string {
  const id = name === 'imagenet' ? BASE_EMBEDDER_ID : name === 'default' ? defaultEmbedderId() : name;
  const entry = manifestEmbedders().find((m) => m.id === id);
  return entry ? manifestVersionId(entry) : name;
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

/** An embedder version as `idoltag embedder list` shows it. */
export interface EmbedderVersionSummary {
  id: string;
  active: boolean;
  createdAt: string;
  /** Shipped with idoltag (models/manifest.json); 'default' for the one a new data folder starts on. */
  shipped?: 'default' | 'shipped';
  /** Held-out figures its training recorded (the trainer's pooled layer, else its projection). */
  heldOut?: { mapAtR: number; recallAt1: number };
}

interface HeldOutLayer {
  map_at_r: number;
  recall_at_1: number;
}

/**
 * Knows which embedder version serves, loads it once, and registers the ImageNet base model as
 * versions; a new data folder starts on the default one.
 */
export class EmbedderRegistry {
  private loaded = new Map<string, Promise<Embedder>>();

  readonly #store: Store;

  constructor(
    store: Store,
    private readonly logger: Logger,
    /** Where manifest models come from (the cache, the mirror, upstream). */
    private readonly modelSources: ModelSources,
    private readonly options: EmbedderOptions = {},
    /** Trained models live under <dataDir>/models; their paths are stored relative to it. */
    private readonly dataDir?: string,
  ) {
    this.#store = store;
  }

  /** A file of a manifest model (models/manifest.json), fetched and hash-checked. */
  manifestFile(modelId: string, fileName?: string): Promise<string> {
    return resolveModelFile(this.modelSources, modelId, fileName);
  }

  /**
   * The ONNX file of a trained version. Paths are stored relative to the data folder; older rows
   * hold absolute paths, which are looked up under this data folder's models/ when the folder was
   * restored or moved elsewhere.
   */
  modelFile(versionId: string): string {
    const row = this.#store.embedders.get(versionId);
    if (!row) throw new Error(`Unknown embedder version ${versionId}`);
    if (!this.dataDir) return row.path;
    if (!path.isAbsolute(row.path)) return path.join(this.dataDir, row.path);
    if (existsSync(row.path)) return row.path;
    const moved = path.join(this.dataDir, 'models', versionId, path.basename(row.path));
    return existsSync(moved) ? moved : row.path;
  }

  /**
   * Registers every manifest embedder as a version (once), and on a new data folder activates the
   * default one. A folder that already serves an embedder keeps it until `idoltag embedder activate`.
   */
  async ensureManifestEmbedders(): Promise<void> {
    for (const entry of manifestEmbedders()) {
      const id = manifestVersionId(entry);
      if (this.#store.embedders.get(id)) continue;
      const spec = await this.manifestSpec(entry);
      this.#store.embedders.upsert({ id, path: `${MANIFEST_PATH_PREFIX}${entry.id}`, spec });
    }
    if (this.#store.embedders.active()) return;
    const id = manifestVersionId(getModel(defaultEmbedderId()));
    this.#store.embedders.activate(id);
    this.logger.info({ model: id }, 'a new data folder: serving the default embedder');
  }

  /** The ONNX file of any version: manifest models through the model cache, trained ones under the data folder. */
  async onnxFile(versionId: string): Promise<string> {
    const entry = manifestEntryOf(versionId);
    return entry ? this.manifestFile(entry.id) : this.modelFile(versionId);
  }

  /**
   * The trainer checkpoint an embedder training can start from (`--init`): a trained version's, or a
   * shipped embedder's; undefined for the ImageNet base, which the trainer rebuilds from its INT8 file.
   */
  async checkpointFile(versionId: string): Promise<string | undefined> {
    const entry = manifestEntryOf(versionId);
    if (entry)
      return entry.files.some((f) => f.name === 'checkpoint.pt')
        ? this.manifestFile(entry.id, 'checkpoint.pt')
        : undefined;
    const file = path.join(path.dirname(this.modelFile(versionId)), 'checkpoint.pt');
    return existsSync(file) ? file : undefined;
  }

  /** Every embedder version of this data folder, oldest first. */
  versions(): EmbedderVersionSummary[] {
    const defaultVersion = resolveVersionName('default');
    return this.#store.embedders.list().map((row) => {
      const trainer = row.metrics?.trainer as
        | { val?: { pooled?: HeldOutLayer; projection?: HeldOutLayer } }
        | undefined;
      const layer = trainer?.val ? (trainer.val.pooled ?? trainer.val.projection) : undefined;
      const shipped = row.path.startsWith(MANIFEST_PATH_PREFIX);
      return {
        id: row.id,
        active: row.active === 1,
        createdAt: row.created_at,
        shipped: shipped ? (row.id === defaultVersion ? 'default' : 'shipped') : undefined,
        heldOut: layer ? { mapAtR: layer.map_at_r, recallAt1: layer.recall_at_1 } : undefined,
      };
    });
  }

  activeVersion(): string {
    const active = this.#store.embedders.active();
    if (!active) throw new Error('No embedder is active; run ensureManifestEmbedders() first');
    return active.id;
  }

  /** The length of a version's vectors (its spec's output), or undefined for an unknown version. */
  dimOf(versionId: string): number | undefined {
    return this.#store.embedders.get(versionId)?.spec.output.dim;
  }

  async activeEmbedder(): Promise<Embedder> {
    return this.embedder(this.activeVersion());
  }

  embedder(versionId: string): Promise<Embedder> {
    let pending = this.loaded.get(versionId);
    if (!pending) {
      const row = this.#store.embedders.get(versionId);
      if (!row) throw new Error(`Unknown embedder version ${versionId}`);
      pending = (async () => {
        // Manifest models are resolved (fetched, hash-checked) each time a process first loads them.
        const file = await this.onnxFile(versionId);
        return OnnxEmbedder.load(file, row.spec, versionId, {
          device: this.options.device,
          intraOpThreads: this.options.threads,
          log: (message, fields) => this.logger.info(fields, message),
        });
      })();
      pending.catch(() => this.loaded.delete(versionId));
      this.loaded.set(versionId, pending);
    }
    return pending;
  }

  /** What a manifest embedder expects: the manifest's own fields, or the model.json shipped beside it. */
  private async manifestSpec(entry: ModelEntry): Promise<EmbedderSpec> {
    if (entry.files.some((f) => f.name === 'model.json')) {
      await this.manifestFile(entry.id, 'model.json');
      return readTrainedSpec(path.dirname(await this.manifestFile(entry.id)));
    }
    return { input: entry.input as EmbedderSpec['input'], output: entry.output as EmbedderSpec['output'] };
  }

  async close(): Promise<void> {
    for (const pending of this.loaded.values()) {
      await (await pending.catch(() => undefined))?.dispose?.();
    }
    this.loaded.clear();
  }
}
