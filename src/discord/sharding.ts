/**
 * Which gateway shards run where. One process runs every shard Discord recommends by default;
 * a count, a fixed slice for one host of several, or several processes under discord.js's
 * ShardingManager come from the settings (docs/scaling.md).
 */
import { REST, Routes, type ClientOptions } from 'discord.js';
import type { ShardSettings } from '../config.ts';

/** The gateway shards one bot process connects, as discord.js's client options. */
export function clientShardOptions(sharding: ShardSettings): Pick<ClientOptions, 'shards' | 'shardCount'> {
  if (sharding.slice) return { shards: sharding.slice.ids, shardCount: sharding.slice.count };
  if (sharding.shards === 'auto') return { shards: 'auto' };
  return { shards: range(sharding.shards), shardCount: sharding.shards };
}

/** Deals shards out to processes in turn, so each process gets a similar share of guilds. */
export function spreadShards(shardIds: number[], processes: number): number[][] {
  if (processes > shardIds.length) {
    throw new Error(
      `IDOLTAG_PROCESSES (${processes}) is more than the ${shardIds.length} shard(s) to run: each process needs at least one shard.`,
    );
  }
  const groups: number[][] = Array.from({ length: processes }, () => []);
  shardIds.forEach((id, i) => groups[i % processes].push(id));
  return groups;
}

/** Discord's recommended shard count (`GET /gateway/bot`); a 401 means the token is wrong. */
export async function recommendedShardCount(token: string, apiUrl?: string): Promise<number> {
  const rest = new REST(apiUrl ? { api: apiUrl } : {}).setToken(token);
  const gateway = (await rest.get(Routes.gatewayBot())) as { shards: number };
  return Math.max(1, gateway.shards);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
