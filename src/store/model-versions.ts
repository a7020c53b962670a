import type { Db } from './database.ts';

export interface ModelVersionRow {
  id: string;
  kind: 'embedder';
  path: string;
  spec_json: string;
  parent_id: string | null;
  metrics_json: string | null;
  active: number;
  created_at: string;
}

export class ModelVersionRepository {
  constructor(private readonly db: Db) {}

  upsert(row: {
    id: string;
    path: string;
    specJson: string;
    parentId?: string | null;
    metricsJson?: string | null;
  }): void {
    this.db
      .prepare(
        `INSERT INTO model_versions (id, kind, path, spec_json, parent_id, metrics_json) VALUES (?, 'embedder', ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET path = excluded.path, spec_json = excluded.spec_json,
           metrics_json = COALESCE(excluded.metrics_json, model_versions.metrics_json)`,
      )
      .run(row.id, row.path, row.specJson, row.parentId ?? null, row.metricsJson ?? null);
  }

  active(): ModelVersionRow | undefined {
    return this.db.prepare("SELECT * FROM model_versions WHERE kind = 'embedder' AND active = 1").get() as
      | ModelVersionRow
      | undefined;
  }

  get(id: string): ModelVersionRow | undefined {
    return this.db.prepare('SELECT * FROM model_versions WHERE id = ?').get(id) as ModelVersionRow | undefined;
  }

  list(): ModelVersionRow[] {
    return this.db.prepare('SELECT * FROM model_versions ORDER BY created_at, id').all() as ModelVersionRow[];
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
