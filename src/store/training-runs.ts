import type { Db } from './database.ts';

/** A training run with its metrics decoded. */
export interface TrainingRunRow {
  id: number;
  guild_id: string | null;
  /** 'backbone' is an embedder training: the stored value keeps the old word (migrations are history). */
  kind: 'head' | 'backbone';
  status: 'running' | 'succeeded' | 'failed' | 'rejected';
  model_version: string | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

type StoredRow = Omit<TrainingRunRow, 'metrics'> & { metrics_json: string | null };

function decode(row: StoredRow | undefined): TrainingRunRow | undefined {
  if (!row) return undefined;
  const { metrics_json, ...rest } = row;
  return { ...rest, metrics: metrics_json === null ? null : JSON.parse(metrics_json) };
}

export class TrainingRunRepository {
  constructor(private readonly db: Db) {}

  start(kind: TrainingRunRow['kind'], guildId: string | null): number {
    const info = this.db
      .prepare("INSERT INTO training_runs (kind, guild_id, status) VALUES (?, ?, 'running')")
      .run(kind, guildId);
    return Number(info.lastInsertRowid);
  }

  finish(
    id: number,
    status: Exclude<TrainingRunRow['status'], 'running'>,
    fields: { modelVersion?: string; metrics?: unknown; error?: string } = {},
  ): void {
    this.db
      .prepare(
        `UPDATE training_runs SET status = ?, model_version = ?, metrics_json = ?, error = ?,
         finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
      )
      .run(
        status,
        fields.modelVersion ?? null,
        fields.metrics === undefined ? null : JSON.stringify(fields.metrics),
        fields.error ?? null,
        id,
      );
  }

  /** Runs left 'running' by a process that died are marked failed at start-up. */
  failAbandoned(): number {
    return this.db
      .prepare(
        "UPDATE training_runs SET status = 'failed', error = 'interrupted', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE status = 'running'",
      )
      .run().changes;
  }

  last(kind?: TrainingRunRow['kind']): TrainingRunRow | undefined {
    return decode(
      this.db
        .prepare('SELECT * FROM training_runs WHERE (? IS NULL OR kind = ?) ORDER BY id DESC LIMIT 1')
        .get(kind ?? null, kind ?? null) as StoredRow | undefined,
    );
  }

  lastSucceeded(kind: TrainingRunRow['kind']): TrainingRunRow | undefined {
    return decode(
      this.db
        .prepare("SELECT * FROM training_runs WHERE kind = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1")
        .get(kind) as StoredRow | undefined,
    );
  }
}
