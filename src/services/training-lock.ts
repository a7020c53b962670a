import type { Store } from '../store/index.ts';
import { TrainingBusyError } from './errors.ts';
import { liveLeaseHolder, tryHoldLease } from './leases.ts';

// The lease row keeps the old word: processes of an older idoltag on the same folder look for this name.
export const TRAINING_LEASE = 'backbone-training';

/**
 * One embedder training at a time across every process sharing the database (bot shards, CLI,
 * cron): a lease in SQLite, renewed while the training runs and free again once its holder died.
 * Returns the release function.
 */
export function acquireTrainingLock(store: Store): () => void {
  const lease = tryHoldLease(store, TRAINING_LEASE);
  if (!lease) throw new TrainingBusyError();
  return () => lease.release();
}

/** Whether a live process is training now (its runs marked "running" are not abandoned). */
export function trainingInProgress(store: Store): boolean {
  return liveLeaseHolder(store, TRAINING_LEASE) !== undefined;
}
