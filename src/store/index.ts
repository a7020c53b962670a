import { CharacterRepository } from './characters.ts';
import { openDatabase, type Db } from './database.ts';
import { EmbeddingRepository } from './embeddings.ts';
import { GuildArchiveRepository } from './guild-archive.ts';
import { HeadRepository } from './heads.ts';
import { ImageRepository } from './images.ts';
import { LabelRepository } from './labels.ts';
import { LeaseRepository } from './leases.ts';
import { PackHeadRepository, PackRepository } from './packs.ts';
import { EmbedderVersionRepository } from './embedder-versions.ts';
import { TrainingRunRepository } from './training-runs.ts';
import { WatchedChannelRepository } from './watched-channels.ts';

/** The repositories over one SQLite connection. The connection itself stays in src/store: SQL lives in the repositories. */
export interface Store {
  characters: CharacterRepository;
  images: ImageRepository;
  labels: LabelRepository;
  embeddings: EmbeddingRepository;
  embedders: EmbedderVersionRepository;
  heads: HeadRepository;
  trainingRuns: TrainingRunRepository;
  watched: WatchedChannelRepository;
  leases: LeaseRepository;
  guildArchives: GuildArchiveRepository;
  packs: PackRepository;
  packHeads: PackHeadRepository;
  /** Runs fn in one SQLite transaction: all of it is written or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Opens the data folder's database (or uses `db`, already open on it: tests check its pragmas). */
export function openStore(dataDir: string, db: Db = openDatabase(dataDir)): Store {
  return {
    characters: new CharacterRepository(db),
    images: new ImageRepository(db),
    labels: new LabelRepository(db),
    embeddings: new EmbeddingRepository(db),
    embedders: new EmbedderVersionRepository(db),
    heads: new HeadRepository(db),
    trainingRuns: new TrainingRunRepository(db),
    watched: new WatchedChannelRepository(db),
    leases: new LeaseRepository(db),
    guildArchives: new GuildArchiveRepository(db),
    packs: new PackRepository(db),
    packHeads: new PackHeadRepository(db),
    transaction: <T>(fn: () => T) => db.transaction(fn)(),
    close: () => db.close(),
  };
}
