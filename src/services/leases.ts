/**
 * Work that must run in exactly one process of those sharing a data folder (schedules, embedder
 * training) holds a lease row in SQLite. Its holder renews it well before it expires; when the
 * holder dies (kill -9, power cut) another process takes the work over: at once on the same host,
 * where a dead pid is plain to see, and once the row expired from another host.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';

export const LEASE_TTL_MS = 30_000;

/** Names a holder uniquely: host, process and a nonce (a respawned process with a reused pid is another holder). */
export function newLeaseHolder(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process stays a zombie until its parent reaps it, and a zombie still answers kill(pid, 0).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The live holder of `name`, if any. A holder on this host whose process is gone (kill -9) is
 * cleared at once rather than after its expiry; one on another host can only expire.
 */
export function liveLeaseHolder(store: Store, name: string): string | undefined {
  const row = store.leases.holder(name);
  if (!row) return undefined;
  const [host, pid] = row.holder.split(':');
  if (host === os.hostname() && Number(pid) !== process.pid && !processAlive(Number(pid))) {
    store.leases.release(name, row.holder);
    return undefined;
  }
  return row.holder;
}

export interface HeldLease {
  readonly holder: string;
  /** False once a renewal failed: another process has taken the lease over. */
  held(): boolean;
  release(): void;
}

/** Takes `name` now and keeps renewing it until released; undefined while another process holds it. */
export function tryHoldLease(store: Store, name: string, ttlMs = LEASE_TTL_MS): HeldLease | undefined {
  const holder = newLeaseHolder();
  liveLeaseHolder(store, name);
  if (!store.leases.acquire(name, holder, ttlMs)) return undefined;
  let held = true;
  const timer = setInterval(() => {
    try {
      held = store.leases.acquire(name, holder, ttlMs);
    } catch {
      // Busy or closing database: the next tick tries again, well before the lease runs out.
    }
    if (!held) clearInterval(timer);
  }, ttlMs / 3);
  timer.unref();
  return {
    holder,
    held: () => held,
    release() {
      clearInterval(timer);
      if (held) store.leases.release(name, holder);
      held = false;
    },
  };
}

export interface Leadership {
  leading(): boolean;
  /** Stops following; if this process leads, ends its work and frees the lease for another. */
  stop(): Promise<void>;
}

/**
 * Tries to lead `name` now and every ttl/3: `onLead` starts the work when this process takes the
 * lease (at start or after the holder died); the stop function it returns runs when the lease is
 * lost or on `stop()`.
 */
export function followLeadership(
  store: Store,
  name: string,
  onLead: () => () => Promise<void>,
  options: { ttlMs?: number; logger?: Logger } = {},
): Leadership {
  const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  const holder = newLeaseHolder();
  let stopWork: (() => Promise<void>) | undefined;
  const tick = () => {
    let won = false;
    try {
      if (!stopWork) liveLeaseHolder(store, name);
      won = store.leases.acquire(name, holder, ttlMs);
    } catch (err) {
      options.logger?.warn({ err, lease: name }, 'could not renew a lease; trying again shortly');
      return;
    }
    if (won && !stopWork) {
      options.logger?.info({ lease: name, holder }, 'this process now runs the work of this lease');
      stopWork = onLead();
    } else if (!won && stopWork) {
      options.logger?.warn({ lease: name }, 'another process took this lease over; stopping its work here');
      const stopping = stopWork;
      stopWork = undefined;
      void stopping().catch(() => undefined);
    }
  };
  tick();
  const timer = setInterval(tick, ttlMs / 3);
  timer.unref();
  return {
    leading: () => stopWork !== undefined,
    async stop() {
      clearInterval(timer);
      if (!stopWork) return;
      const stopping = stopWork;
      stopWork = undefined;
      await stopping();
      store.leases.release(name, holder);
    },
  };
}
