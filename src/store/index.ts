import { CharacterRepository } from './characters.ts';
import { openDatabase, type Db } from './database.ts';
import { EmbeddingRepository } from './embeddings.ts';
import { HeadRepository } from './heads.ts';
import { ImageRepository } from './images.ts';
import { LabelRepository } from './labels.ts';
import { LeaseRepository } from './leases.ts';
import { ModelVersionRepository } from './model-versions.ts';
import { TrainingRunRepository } from './training-runs.ts';
import { WatchedChannelRepository } from './watched-channels.ts';

export interface Store {
  db: Db;
  characters: CharacterRepository;
  images: ImageRepository;
  labels: LabelRepository;
  embeddings: EmbeddingRepository;
  models: ModelVersionRepository;
  heads: HeadRepository;
  trainingRuns: TrainingRunRepository;
  watched: WatchedChannelRepository;
  leases: LeaseRepository;
  /** Runs fn in one SQLite transaction: all of it is written or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  return {
    db,
    characters: new CharacterRepository(db),
    images: new ImageRepository(db),
    labels: new LabelRepository(db),
    embeddings: new EmbeddingRepository(db),
    models: new ModelVersionRepository(db),
    heads: new HeadRepository(db),
    trainingRuns: new TrainingRunRepository(db),
    watched: new WatchedChannelRepository(db),
    leases: new LeaseRepository(db),
    transaction: <T>(fn: () => T) => db.transaction(fn)(),
    close: () => db.close(),
  };
}
