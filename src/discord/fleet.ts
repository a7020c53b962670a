/**
 * Figures summed over every shard of the bot. Under the ShardingManager each process answers for
 * its own shards through broadcastEval; a single process already holds them all.
 */
import type { Client } from 'discord.js';
import type { JobQueue } from '../jobs/queue.ts';

export interface FleetStats {
  servers: number;
  shards: number;
  processes: number;
  picturesWaiting: number;
  /** Processes that did not answer (one being restarted). */
  unreachable: number;
}

interface ProcessFigures {
  servers: number;
  shards: number;
  waiting: number;
}

// broadcastEval runs this in every shard process with that process's client, so it can only read
// what hangs off the client: the queue length is published there by publishQueueLength.
const figuresOf = (c: Client): ProcessFigures => ({
  servers: c.guilds.cache.size,
  shards: c.ws.shards.size,
  waiting: (c as unknown as { idoltagQueueLength?: number }).idoltagQueueLength ?? 0,
});

export function publishQueueLength(client: Client, queue: JobQueue): void {
  Object.defineProperty(client, 'idoltagQueueLength', { get: () => queue.length, configurable: true });
}

export async function fleetStats(client: Client): Promise<FleetStats> {
  if (!client.shard) return sum([figuresOf(client)], 0);
  const processes = client.shard.count;
  const answers = await Promise.allSettled(
    Array.from({ length: processes }, (_, id) => client.shard!.broadcastEval(figuresOf, { shard: id })),
  );
  const figures = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  return sum(figures, processes - figures.length);
}

function sum(figures: ProcessFigures[], unreachable: number): FleetStats {
  return {
    servers: figures.reduce((n, f) => n + f.servers, 0),
    shards: figures.reduce((n, f) => n + f.shards, 0),
    processes: figures.length + unreachable,
    picturesWaiting: figures.reduce((n, f) => n + f.waiting, 0),
    unreachable,
  };
}
