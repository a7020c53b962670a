import { deserialiseHead, predict, serialiseHead, trainHead, type HeadModel } from '../core/head/softmax-head.ts';
import type { FacePrediction } from '../core/types.ts';
import { blobToVector } from '../store/database.ts';
import type { Store } from '../store/index.ts';
import type { EmbedderRegistry } from './embedder-registry.ts';
import type { JobQueue } from './queue.ts';

export interface HeadRefit {
  headVersion: number;
  characters: number;
  faces: number;
  fitMs: number;
}

/** The per-guild character head: cached in memory, refit from every human label, versioned in the DB. */
export class HeadService {
  private cache = new Map<string, { version: number; head: HeadModel }>();
  private refitting = new Map<string, Promise<HeadRefit>>();

  readonly #store: Store;

  constructor(
    store: Store,
    private readonly embedders: EmbedderRegistry,
    private readonly queue: JobQueue,
  ) {
    this.#store = store;
  }

  modelVersion(): string {
    return this.embedders.activeVersion();
  }

  /** Every guild that has characters, hence a head to keep in step. */
  guilds(): string[] {
    return this.#store.heads.guilds();
  }

  current(guildId: string): { version: number; head: HeadModel } | undefined {
    const modelVersion = this.embedders.activeVersion();
    const key = `${guildId}\u0000${modelVersion}`;
    const cached = this.cache.get(key);
    // Other processes (shards, the CLI) refit heads too: one indexed MAX(id) per prediction, and the
    // weights are only read again when the version moved.
    const latestId = this.#store.heads.latestId(guildId, modelVersion);
    if (latestId === undefined) return undefined;
    if (cached && cached.version === latestId) return cached;
    const latest = this.#store.heads.byId(latestId);
    if (!latest) return undefined;
    const entry = { version: latest.id, head: deserialiseHead(latest.head_json, latest.head_arrays) };
    this.cache.set(key, entry);
    return entry;
  }

  predict(guildId: string, embedding: Float32Array): FacePrediction & { headVersion: number | null } {
    const current = this.current(guildId);
    if (!current) return { label: null, confidence: 0, candidates: [], headVersion: null };
    return { ...predict(current.head, embedding), headVersion: current.version };
  }

  /**
   * Whether a guild's newest head misses what people taught since: a process that died between
   * committing a label and refitting (kill -9, power loss) leaves the labels safe but the head old.
   */
  isStale(guildId: string, modelVersion = this.embedders.activeVersion()): boolean {
    const now = this.#store.labels.humanSummary(guildId, modelVersion);
    const head = this.#store.heads.latestSummary(guildId, modelVersion);
    if (!head) return now.faces > 0;
    if (head.trained_on !== now.faces) return true;
    if (now.newest !== null && now.newest > head.created_at) return true;
    return [...head.labels].sort().join('\u0000') !== now.names.join('\u0000');
  }

  /** Refits every guild whose head is stale (see isStale); returns those guilds. */
  async refitStale(): Promise<string[]> {
    const stale = this.#store.heads.guilds().filter((g) => this.isStale(g));
    for (const guild of stale) await this.refit(guild);
    return stale;
  }

  /**
   * Refits from all human labels, through the queue (a refit runs onnxruntime); it waits rather
   * than being refused when the queue is full. Concurrent calls for a guild share one fit that starts after them.
   */
  refit(guildId: string, modelVersion = this.embedders.activeVersion()): Promise<HeadRefit> {
    return this.queue.run(() => this.refitInTurn(guildId, modelVersion), { whenFull: 'wait' });
  }

  /** A refit that a person or the schedule asked for, recorded as a head training run. */
  async refitAsTrainingRun(guildId: string): Promise<HeadRefit> {
    const run = this.#store.trainingRuns.start('head', guildId);
    try {
      const refit = await this.refit(guildId);
      this.#store.trainingRuns.finish(run, 'succeeded', {
        modelVersion: this.embedders.activeVersion(),
        metrics: refit,
      });
      return refit;
    } catch (err) {
      this.#store.trainingRuns.finish(run, 'failed', { error: (err as Error).message });
      throw err;
    }
  }

  private async refitInTurn(guildId: string, modelVersion: string): Promise<HeadRefit> {
    const previous = this.refitting.get(guildId) ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.fit(guildId, modelVersion));
    this.refitting.set(guildId, next);
    try {
      return await next;
    } finally {
      if (this.refitting.get(guildId) === next) this.refitting.delete(guildId);
    }
  }

  private async fit(guildId: string, modelVersion: string): Promise<HeadRefit> {
    const rows = this.#store.labels.humanLabelled(guildId, modelVersion);
    const started = performance.now();
    const previous = modelVersion === this.embedders.activeVersion() ? this.current(guildId)?.head : undefined;
    const head = await trainHead(
      rows.map((r) => blobToVector(r.vector)),
      rows.map((r) => r.name),
      { warmStart: previous },
    );
    const fitMs = performance.now() - started;
    const stored = serialiseHead(head);
    const headVersion = this.#store.heads.insert({
      guild_id: guildId,
      model_version: modelVersion,
      head_json: stored.json,
      head_arrays: stored.arrays,
      characters: head.labels.length,
      trained_on: rows.length,
      fit_ms: fitMs,
    });
    this.cache.set(`${guildId}\u0000${modelVersion}`, { version: headVersion, head });
    return { headVersion, characters: head.labels.length, faces: rows.length, fitMs };
  }
}
