import type { HeadTrainingOptions } from '../../core/head/softmax-head.ts';
import type { EmbeddingCache } from './embed.ts';
import type { ClosedReport, DlcReport, FewShotReport, OpenSetReport } from './protocols.ts';

export type Protocol = 'closed' | 'fewshot' | 'dlc';

export interface EvaluationOptions {
  sources: string[];
  protocol: Protocol;
  /** The pictures are face crops: no detection. */
  crops?: boolean;
  /** Few-shot and DLC: faces taught per character (default 5). */
  shots?: number;
  /** Few-shot and DLC: repetitions with different shots (default 5). */
  seeds?: number;
  seed?: number;
  /** Share of each character's pictures queried when the data has no split column (default 0.3). */
  testFraction?: number;
  aliases?: Map<string, string>;
  /** Faces of characters that are never taught, for the open-set numbers. */
  unknownSources?: string[];
  /** DLC: the characters that arrive later (default: a seeded quarter of them). */
  newLabels?: string[];
  /** DLC: train the embedder on the old characters first (src/services/embedder-training.ts). */
  trainEmbedder?: boolean;
  /** Head and gate settings other than the bot's defaults (measurements only). */
  head?: HeadTrainingOptions;
  /** Embeddings kept from an earlier run on the same files (several gates, one embedding pass). */
  cache?: EmbeddingCache;
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface EvaluationReport {
  protocol: Protocol;
  sources: string[];
  embedder: string;
  input: 'crops' | 'detected faces';
  items: number;
  embedded: number;
  skipped: Array<{ path: string; error: string }>;
  /** Items per character. */
  characters: Record<string, number>;
  closed?: ClosedReport;
  fewShot?: FewShotReport;
  dlc?: DlcReport;
  openSet?: OpenSetReport;
  options: { shots: number; seeds: number; seed: number; testFraction: number };
  timings: { embedMs: number; evaluateMs: number; totalMs: number };
}
