/**
 * Several bot processes on one host: discord.js's ShardingManager forks `main.ts` once per process
 * and starts a process again when it dies. Each process gets its slice of the gateway shards
 * through IDOLTAG_SHARD_IDS / IDOLTAG_SHARD_COUNT, so it runs like a single-host slice.
 */
import { ShardingManager, type Shard } from 'discord.js';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BotSettings } from '../config.ts';
import type { Logger } from '../log.ts';
import { range, recommendedShardCount, spreadShards } from './sharding.ts';

const BOT_ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));
// A process loads its models before it connects; on a busy machine that can take a while.
const READY_TIMEOUT_MS = 180_000;
// Discord allows one IDENTIFY per 5 s per bucket; processes don't share discord.js's throttle.
const SPAWN_DELAY_MS = 5_500;

export interface RunningManager {
  stop(graceMs: number): Promise<void>;
}

export async function startShardManager(settings: BotSettings, logger: Logger): Promise<RunningManager> {
  const { sharding } = settings;
  // Also checks the token before any process starts (a wrong one would make them die and respawn in a loop).
  const recommended = await recommendedShardCount(settings.token, settings.apiUrl);
  // 'auto' gives each process at least one shard: Discord accepts more shards than it recommends.
  const total =
    sharding.slice?.count ?? (sharding.shards === 'auto' ? Math.max(recommended, sharding.processes) : sharding.shards);
  const groups = spreadShards(sharding.slice?.ids ?? range(total), sharding.processes);
  const manager = new ShardingManager(BOT_ENTRY, {
    totalShards: groups.length,
    token: settings.token,
    mode: 'process',
    respawn: true,
    execArgv: ['--import', 'tsx'],
  });
  manager.on('shardCreate', (shard: Shard) => {
    const shards = groups[shard.id];
    Object.assign(shard.env as Record<string, string>, {
      IDOLTAG_SHARD_IDS: shards.join(','),
      IDOLTAG_SHARD_COUNT: String(total),
    });
    // mode 'process': the shard is always a ChildProcess, never a worker thread.
    shard.on('spawn', (child) =>
      logger.info({ process: shard.id, pid: (child as ChildProcess).pid, shards }, 'shard process started'),
    );
    shard.on('death', (dead) => {
      const child = dead as ChildProcess;
      const what = manager.respawn ? 'shard process died; starting it again' : 'shard process stopped';
      logger.warn({ process: shard.id, pid: child.pid, code: child.exitCode, signal: child.signalCode, shards }, what);
    });
  });
  logger.info({ processes: groups.length, shardCount: total, recommended, groups }, 'starting shard processes');

  const stop = async (graceMs: number) => {
    // Read when a process exits: a child that stops on its own now (Ctrl-C reaches it too) stays stopped.
    manager.respawn = false;
    await Promise.all(
      [...manager.shards.values()].map(async (shard) => {
        const child = shard.process;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        shard.kill(); // SIGTERM, and no respawn: each process finishes its pictures and disconnects.
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(killer);
      }),
    );
  };
  try {
    await manager.spawn({ amount: groups.length, delay: SPAWN_DELAY_MS, timeout: READY_TIMEOUT_MS });
  } catch (error) {
    await stop(5_000);
    throw error;
  }
  logger.info({ processes: groups.length }, 'every shard process is ready');
  return { stop };
}
