import type { Db } from './database.ts';

export interface LeaseRow {
  name: string;
  holder: string;
  expires_at: number;
  acquired_at: number;
}

/** Named leases with an expiry: at most one live holder per name across every process. */
export class LeaseRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes the lease, or renews it when `holder` already has it. Fails (false) while another
   * holder's lease is unexpired. One statement, so two processes can't both win.
   */
  acquire(name: string, holder: string, ttlMs: number, now = Date.now()): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (@name, @holder, @expires, @now)
         ON CONFLICT (name) DO UPDATE SET
           acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
           holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= @now`,
      )
      .run({ name, holder, expires: now + ttlMs, now });
    return info.changes > 0;
  }

  release(name: string, holder: string): void {
    this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  /** The live holder, if any. */
  holder(name: string, now = Date.now()): LeaseRow | undefined {
    return this.db.prepare('SELECT * FROM leases WHERE name = ? AND expires_at > ?').get(name, now) as
      | LeaseRow
      | undefined;
  }
}
