import type { Store } from '../store/index.ts';
import type { DataFiles } from './files.ts';
import type { HeadService } from './heads.ts';
import type { EmbedderRegistry } from './embedder-registry.ts';
import type { JobQueue } from './queue.ts';
import type { PackLibrary } from './packs/library.ts';
import type { RecognitionService } from './recognition.ts';
import type { TeachingService } from './teaching.ts';

/**
 * The services that other services are built from (unknown faces, the embedding map, model swaps,
 * embedder training, evaluation). They take this rather than `Services`, which lists them in turn:
 * importing index.ts back would be a cycle.
 */
export interface ServiceBlocks {
  store: Store;
  files: DataFiles;
  embedders: EmbedderRegistry;
  heads: HeadService;
  recognition: RecognitionService;
  teaching: TeachingService;
  queue: JobQueue;
  /** Roster packs: their files and the heads fit on them, shared by every guild. */
  packs: PackLibrary;
  /** The Python that runs the trainer (IDOLTAG_PYTHON, else the system's). */
  trainerPython: string;
}
