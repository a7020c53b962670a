import { mkdirSync } from 'node:fs';
import sharp from 'sharp';
import type { ModelSources } from '../core/models/cache.ts';
import type { RecognitionOptions } from '../core/pipeline.ts';
import type { FaceDetector } from '../core/types.ts';
import { JobQueue } from './queue.ts';
import { logger as rootLogger, type Logger } from '../log.ts';
import { openStore } from '../store/index.ts';
import { CharacterService } from './characters.ts';
import { CorrectionService } from './corrections.ts';
import { DataFiles } from './files.ts';
import { GalleryService } from './gallery.ts';
import { HeadService } from './heads.ts';
import { EmbedderRegistry, type EmbedderOptions } from './embedder-registry.ts';
import { renderPreview } from './preview.ts';
import { RecognitionService } from './recognition.ts';
import { TaggingService, type TagResult } from './tagging.ts';
import { TeachingService } from './teaching.ts';
import type { EmbedderTrainingOutcome, EmbedderTrainingOptions } from './embedder-training.ts';
import { renderEmbeddingMap, type EmbeddingMap, type EmbeddingMapOptions } from './embedding-map.ts';
import type { ServiceBlocks } from './service-blocks.ts';
import { UnknownsService } from './unknowns.ts';
import { trainingInProgress } from './training-lock.ts';
import type { EvaluationOptions, EvaluationReport } from './evaluation/index.ts';
import { exportGuild, importGuild, type GuildImport } from './guild-transfer.ts';
import { followLeadership, type Leadership } from './leases.ts';
import { activateEmbedder, type SwapProgress } from './embedder-swap.ts';
import type { ArchiveCounts } from '../store/guild-archive.ts';
import { pythonExecutable } from './trainer-process.ts';
import { PackLibrary } from './packs/library.ts';
import { RosterService } from './packs/roster.ts';
import { PackBuilder, type BuildOptions, type BuildReport, type BuildSource } from './packs/build.ts';

export { ImageInputError, QueueFullError, TrainingBusyError, UserFacingError, UserInputError } from './errors.ts';
export type { ImageSource } from './recognition.ts';
export type { TagRequest, TagResult } from './tagging.ts';
export type { TeachImage, TeachRequest } from './teaching.ts';
export type { FaceView } from './corrections.ts';

export interface ServiceOptions {
  dataDir: string;
  logger?: Logger;
  /** Detector name or chain understood by core/detect (e.g. "faceboxes+lbp"); default: the measured best. */
  detector?: string;
  /** Or a detector instance (tests, benchmarks). */
  detectorInstance?: FaceDetector;
  embedder?: EmbedderOptions;
  /** Where model files come from (IDOLTAG_MODEL_CACHE, IDOLTAG_MODEL_MIRROR, IDOLTAG_OFFLINE). */
  models: ModelSources;
  /** The Python with PyTorch that embedder training runs (IDOLTAG_PYTHON); default: the system's. */
  trainerPython?: string;
  recognition?: RecognitionOptions;
  queueLimit?: number;
  /** Guild heads kept in memory (least recently used leave first); DEFAULT_HEAD_CACHE_SIZE by default. */
  headCacheSize?: number;
  /**
   * Refit, while opening, any guild head that misses labels committed after it (default true).
   * Commands that never predict (listing, backups) turn it off.
   */
  refitStaleHeads?: boolean;
}

export interface Stats {
  embedderVersion: string;
  headVersion: number | null;
  characters: number;
  faces: number;
  images: number;
  queueLength: number;
  lastTraining: string | null;
  detector: string;
  provider: string;
}

/**
 * Everything the adapters (the bot, the CLI, the schedules) use; each service applies the queue itself.
 * The store is not in it: adapters reach the database through these methods only.
 */
export interface Services extends Omit<ServiceBlocks, 'store' | 'trainerPython' | 'packs'> {
  tagging: TaggingService;
  corrections: CorrectionService;
  gallery: GalleryService;
  characters: CharacterService;
  /** Roster packs: which are installed, which each guild added. */
  roster: RosterService;
  packs: {
    /** Installs a pack someone shared (`idoltag roster add FILE`): checked whole before anything is written. */
    installFile(bytes: Buffer, by?: string): { id: string; title: string; replaced: boolean };
    /** Builds a pack file with the embedder in service (`idoltag roster build`). */
    build(source: BuildSource, options?: BuildOptions): Promise<{ bytes: Buffer; report: BuildReport }>;
  };
  watch: {
    add(guildId: string, channelId: string, by?: string): boolean;
    remove(guildId: string, channelId: string): boolean;
    list(guildId: string): string[];
    isWatched(guildId: string, channelId: string): boolean;
  };
  preview: { render(bytes: Buffer, faces: TagResult['faces']): Promise<Buffer> };
  unknowns: UnknownsService;
  embeddingMap: { render(guildId: string, options?: EmbeddingMapOptions): Promise<EmbeddingMap> };
  training: {
    /** Fine-tunes the embedder in a trainer process; the training lock makes it one at a time. */
    embedder(options?: EmbedderTrainingOptions): Promise<EmbedderTrainingOutcome>;
  };
  /** Serves another embedder version: re-embeds the faces that lack it, refits every head, then switches. */
  activateEmbedder(version: string, onProgress?: (p: SwapProgress) => void): Promise<void>;
  /**
   * Runs `onLead`'s work in whichever process of this data folder holds the lease `name` (the schedules):
   * it starts when this process takes the lease and stops when it loses it.
   */
  followLeadership(
    name: string,
    onLead: () => () => Promise<void>,
    options?: { ttlMs?: number; logger?: Logger },
  ): Leadership;
  evaluation: {
    /** One evaluation protocol end to end (`idoltag eval`, docs/evaluation.md). */
    run(options: EvaluationOptions): Promise<EvaluationReport>;
  };
  guildTransfer: {
    /** Writes every face, crop, screenshot, label and head of one guild to an archive file. */
    exportGuild(guildId: string, file: string): ArchiveCounts;
    /** Brings in a guild from such an archive, into a data folder that has none of it. */
    importGuild(file: string): Promise<GuildImport>;
  };
  stats(guildId: string): Promise<Stats>;
  close(): Promise<void>;
}

/** The detector chain by name; `threads` bounds its onnxruntime pool like the embedder's (IDOLTAG_THREADS). */
export async function loadDetector(models: ModelSources, name?: string, threads?: number): Promise<FaceDetector> {
  const detect = await import('../core/detect/chain.ts');
  return detect.createDetector(name ?? detect.DEFAULT_DETECTOR, models, threads ? { faceboxes: { threads } } : {});
}

export async function openServices(options: ServiceOptions): Promise<Services> {
  const logger = options.logger ?? rootLogger;
  // IDOLTAG_THREADS bounds every compute pool of the process (libvips here, onnxruntime in the models), so that
  // one process per core scales with the cores.
  if (options.embedder?.threads) sharp.concurrency(options.embedder.threads);
  mkdirSync(options.dataDir, { recursive: true });
  const store = openStore(options.dataDir);
  // Another process sharing this folder may be training right now: its run is not abandoned.
  const abandoned = trainingInProgress(store) ? 0 : store.trainingRuns.failAbandoned();
  if (abandoned > 0) logger.warn({ abandoned }, 'marked interrupted training runs as failed');
  const files = new DataFiles(options.dataDir);
  const embedders = new EmbedderRegistry(store, logger, options.models, options.embedder, options.dataDir);
  try {
    await embedders.ensureManifestEmbedders();
  } catch (err) {
    store.close();
    throw err;
  }
  const detectorFactory = () =>
    options.detectorInstance
      ? Promise.resolve(options.detectorInstance)
      : loadDetector(options.models, options.detector, options.embedder?.threads);
  const queue = new JobQueue(options.queueLimit ?? 50);
  const heads = new HeadService(store, embedders, queue, options.headCacheSize);
  const packs = new PackLibrary(store, files, embedders, queue, logger);
  packs.syncShipped();
  heads.usePacks(packs);
  // Packs in use need their head for the embedder in service (a new embedder, or a pack file updated).
  for (const id of store.packs.inUse()) {
    await packs.ensureHead(id).catch((err) => logger.error({ err, pack: id }, 'could not fit a pack head'));
  }
  if (options.refitStaleHeads !== false) {
    try {
      const refitted = await heads.refitStale();
      if (refitted.length > 0)
        logger.warn(
          { guilds: refitted },
          'refit heads that missed recent labels (a run stopped before its refit, or another is still importing)',
        );
    } catch (err) {
      logger.error({ err }, 'could not refit stale heads; they catch up on the next change');
    }
  }
  const recognition = new RecognitionService(store, files, embedders, detectorFactory, options.recognition);
  const blocks: ServiceBlocks = {
    store,
    files,
    embedders,
    heads,
    recognition,
    teaching: new TeachingService(store, recognition, heads, queue),
    queue,
    packs,
    trainerPython: pythonExecutable(options.trainerPython),
  };
  return {
    files,
    embedders,
    heads,
    recognition,
    teaching: blocks.teaching,
    queue,
    tagging: new TaggingService(store, recognition, heads, queue),
    corrections: new CorrectionService(store, heads, queue),
    gallery: new GalleryService(store, files),
    characters: new CharacterService(store, heads, queue),
    roster: new RosterService(store, packs, embedders, queue),
    packs: {
      installFile: (bytes, by) => {
        const { row, replaced } = packs.installFile(bytes, by);
        return { id: row.id, title: row.title, replaced };
      },
      build: (source, buildOptions) => new PackBuilder(recognition, embedders).build(source, buildOptions),
    },
    watch: {
      add: (g, c, by) => store.watched.add(g, c, by),
      remove: (g, c) => store.watched.remove(g, c),
      list: (g) => store.watched.list(g),
      isWatched: (g, c) => store.watched.isWatched(g, c),
    },
    preview: { render: (bytes, faces) => renderPreview(bytes, faces) },
    unknowns: new UnknownsService(blocks),
    embeddingMap: { render: (guildId, mapOptions) => renderEmbeddingMap(blocks, guildId, mapOptions) },
    training: {
      // Loaded on first use: most processes never train.
      embedder: async (trainingOptions) =>
        (await import('./embedder-training.ts')).trainEmbedder(blocks, trainingOptions),
    },
    activateEmbedder: (version, onProgress) => activateEmbedder(blocks, version, onProgress),
    followLeadership: (name, onLead, leaseOptions) => followLeadership(store, name, onLead, leaseOptions),
    evaluation: {
      run: async (evaluationOptions) =>
        (await import('./evaluation/index.ts')).runEvaluation(blocks, evaluationOptions),
    },
    guildTransfer: {
      exportGuild: (guildId, file) => exportGuild(blocks, guildId, file),
      importGuild: (file) => importGuild(blocks, file),
    },
    async stats(guildId) {
      const counts = store.images.counts(guildId);
      const last = store.trainingRuns.last();
      const embedder = await embedders.activeEmbedder();
      return {
        embedderVersion: embedders.activeVersion(),
        headVersion: heads.current(guildId)?.version ?? null,
        characters: store.characters.count(guildId),
        faces: counts.faces,
        images: counts.images,
        queueLength: queue.length,
        lastTraining: last ? `${last.kind} ${last.status} ${last.finished_at ?? last.started_at}` : null,
        detector: (await recognition.detector().catch(() => undefined))?.id ?? 'unavailable',
        provider: embedder.provider,
      };
    },
    async close() {
      await queue.onIdle();
      await embedders.close();
      await recognition.dispose();
      store.close();
    },
  };
}
