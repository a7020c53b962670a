import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export class TrainingBusyError extends Error {
  constructor() {
    super('A backbone training is already running.');
    this.name = 'TrainingBusyError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One backbone training at a time across every process sharing the data folder (bot, CLI, cron).
 * The lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
export function acquireTrainingLock(dataDir: string): () => void {
  const file = path.join(dataDir, 'training.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && owner !== process.pid && alive(owner)) throw new TrainingBusyError();
      rmSync(file, { force: true });
    }
  }
  throw new TrainingBusyError();
}
