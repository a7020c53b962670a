import type { EmbedderSpec } from '../core/types.ts';
import type { Db } from './database.ts';

/** A model version with its JSON columns decoded. */
export interface EmbedderVersionRow {
  id: string;
  kind: 'embedder';
  path: string;
  spec: EmbedderSpec;
  parent_id: string | null;
  /** What its training recorded (the trainer's figures, the export's parity); null for manifest models. */
  metrics: Record<string, unknown> | null;
  active: number;
  created_at: string;
}

type StoredRow = Omit<EmbedderVersionRow, 'spec' | 'metrics'> & { spec_json: string; metrics_json: string | null };

function decode(row: StoredRow | undefined): EmbedderVersionRow | undefined {
  if (!row) return undefined;
  const { spec_json, metrics_json, ...rest } = row;
  return { ...rest, spec: JSON.parse(spec_json), metrics: metrics_json === null ? null : JSON.parse(metrics_json) };
}

export class EmbedderVersionRepository {
  constructor(private readonly db: Db) {}

  upsert(row: {
    id: string;
    path: string;
    spec: EmbedderSpec;
    parentId?: string | null;
    metrics?: Record<string, unknown> | null;
  }): void {
    this.db
      .prepare(
        `INSERT INTO model_versions (id, kind, path, spec_json, parent_id, metrics_json) VALUES (?, 'embedder', ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET path = excluded.path, spec_json = excluded.spec_json,
           metrics_json = COALESCE(excluded.metrics_json, model_versions.metrics_json)`,
      )
      .run(
        row.id,
        row.path,
        JSON.stringify(row.spec),
        row.parentId ?? null,
        row.metrics == null ? null : JSON.stringify(row.metrics),
      );
  }

  active(): EmbedderVersionRow | undefined {
    return decode(
      this.db.prepare("SELECT * FROM model_versions WHERE kind = 'embedder' AND active = 1").get() as
        | StoredRow
        | undefined,
    );
  }

  get(id: string): EmbedderVersionRow | undefined {
    return decode(this.db.prepare('SELECT * FROM model_versions WHERE id = ?').get(id) as StoredRow | undefined);
  }

  list(): EmbedderVersionRow[] {
    return (this.db.prepare('SELECT * FROM model_versions ORDER BY created_at, id').all() as StoredRow[]).map(
      (row) => decode(row)!,
    );
  }

  /** Switches the active embedder in one statement pair inside a transaction. */
  activate(id: string): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE model_versions SET active = 0 WHERE kind = 'embedder' AND active = 1").run();
      const info = this.db.prepare('UPDATE model_versions SET active = 1 WHERE id = ?').run(id);
      if (info.changes !== 1) throw new Error(`No model version ${id}`);
    })();
  }
}
