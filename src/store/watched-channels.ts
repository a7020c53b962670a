import type { Db } from './database.ts';

export class WatchedChannelRepository {
  constructor(private readonly db: Db) {}

  add(guildId: string, channelId: string, by?: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO watched_channels (guild_id, channel_id, added_by) VALUES (?, ?, ?)')
        .run(guildId, channelId, by ?? null).changes > 0
    );
  }

  remove(guildId: string, channelId: string): boolean {
    return (
      this.db.prepare('DELETE FROM watched_channels WHERE guild_id = ? AND channel_id = ?').run(guildId, channelId)
        .changes > 0
    );
  }

  list(guildId: string): string[] {
    return (
      this.db
        .prepare('SELECT channel_id FROM watched_channels WHERE guild_id = ? ORDER BY added_at')
        .all(guildId) as Array<{ channel_id: string }>
    ).map((r) => r.channel_id);
  }

  isWatched(guildId: string, channelId: string): boolean {
    return !!this.db
      .prepare('SELECT 1 FROM watched_channels WHERE guild_id = ? AND channel_id = ?')
      .get(guildId, channelId);
  }
}
