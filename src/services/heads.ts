import {
  deserialiseHead,
  predict,
  predictWithGate,
  serialiseHead,
  trainHead,
  type HeadModel,
} from '../core/head/softmax-head.ts';
import type { FacePrediction, LabelCandidate } from '../core/types.ts';
import { blobToVector } from '../store/database.ts';
import type { Store } from '../store/index.ts';
import type { EmbedderRegistry } from './embedder-registry.ts';
import type { JobQueue } from './queue.ts';
import type { PackLibrary, PackVote } from './packs/library.ts';

export type GuildPrediction = FacePrediction & { headVersion: number | null };

export interface HeadRefit {
  headVersion: number;
  characters: number;
  faces: number;
  fitMs: number;
}

/** Guild heads kept in memory at most; the least recently used leaves first (it is read back from the DB). */
export const DEFAULT_HEAD_CACHE_SIZE = 500;

/**
 * The per-guild character head: cached in memory, refit from every human label, versioned in the DB.
 * A guild's roster packs are not in it: their heads are fit once on the pack's references and shared
 * (PackLibrary); a prediction asks the guild's head and each of its packs' heads, and the surest
 * (the largest margin over its own open-set gate) names the face.
 */
export class HeadService {
  private cache = new Map<string, { version: number; head: HeadModel }>();
  private packs?: PackLibrary;
  private refitting = new Map<string, Promise<HeadRefit>>();

  readonly #store: Store;

  constructor(
    store: Store,
    private readonly embedders: EmbedderRegistry,
    private readonly queue: JobQueue,
    private readonly cacheSize = DEFAULT_HEAD_CACHE_SIZE,
  ) {
    this.#store = store;
  }

  /** The packs' heads (set once while opening: the library needs the queue this service shares). */
  usePacks(packs: PackLibrary): void {
    this.packs = packs;
  }

  /** Guild heads held in memory now (the scaling bench watches it). */
  cachedHeads(): number {
    return this.cache.size;
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
    if (cached) {
      // Most recently used last: Map keeps insertion order, so the first key is the idlest guild.
      this.cache.delete(key);
      this.cache.set(key, cached);
    }
    // Other processes (shards, the CLI) refit heads too: one indexed MAX(id) per prediction, and the
    // weights are only read again when the version moved.
    const latestId = this.#store.heads.latestId(guildId, modelVersion);
    if (latestId === undefined) return undefined;
    if (cached && cached.version === latestId) return cached;
    const latest = this.#store.heads.byId(latestId);
    if (!latest) return undefined;
    const entry = { version: latest.id, head: deserialiseHead(latest.head_json, latest.head_arrays) };
    this.remember(key, entry);
    return entry;
  }

  private remember(key: string, entry: { version: number; head: HeadModel }): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  predict(guildId: string, embedding: Float32Array): GuildPrediction {
    const current = this.current(guildId);
    const packIds = this.packs ? this.#store.packs.forGuild(guildId) : [];
    if (packIds.length === 0) {
      if (!current) return { label: null, confidence: 0, candidates: [], headVersion: null };
      return { ...predict(current.head, embedding), headVersion: current.version };
    }
    return this.combine(guildId, current, embedding, this.packs!.votes(packIds, embedding));
  }

  /** predict for every face of a screenshot: the packs' heads score all the faces at once (onnxruntime). */
  async predictMany(guildId: string, embeddings: Float32Array[]): Promise<GuildPrediction[]> {
    const packIds = this.packs ? this.#store.packs.forGuild(guildId) : [];
    if (packIds.length === 0) return embeddings.map((e) => this.predict(guildId, e));
    const current = this.current(guildId);
    const votes = await this.packs!.votesMany(packIds, embeddings);
    return embeddings.map((e, i) => this.combine(guildId, current, e, votes[i]));
  }

  /**
   * The guild's own head and its packs' votes: each answer that passes its own gate counts, and the one
   * furthest above its gate names the face.
   */
  private combine(
    guildId: string,
    current: { version: number; head: HeadModel } | undefined,
    embedding: Float32Array,
    votes: PackVote[],
  ): GuildPrediction {
    let best: { label: string; confidence: number; margin: number } | undefined;
    const candidates: LabelCandidate[] = [];
    if (current && current.head.labels.length > 0) {
      const own = predictWithGate(current.head, embedding);
      candidates.push(...own.candidates);
      if (own.label) best = { label: own.label, confidence: own.confidence, margin: own.margin };
    }
    for (const vote of votes) {
      const character = this.#store.packs.characterOf(guildId, vote.packId, vote.character);
      if (!character) continue;
      candidates.push({ label: character.name_key, score: vote.confidence });
      if (vote.accepted && (!best || vote.margin > best.margin)) {
        best = { label: character.name_key, confidence: vote.confidence, margin: vote.margin };
      }
    }
    const seen = new Set<string>();
    const ranked = candidates
      .sort((a, b) => b.score - a.score)
      .filter((c) => !seen.has(c.label) && seen.add(c.label))
      .slice(0, 5);
    return {
      label: best?.label ?? null,
      confidence: best?.confidence ?? ranked[0]?.score ?? 0,
      candidates: ranked,
      headVersion: current?.version ?? null,
    };
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
    this.remember(`${guildId}\u0000${modelVersion}`, { version: headVersion, head });
    return { headVersion, characters: head.labels.length, faces: rows.length, fitMs };
  }
}
