/**
 * Leases in SQLite: the work that must run in exactly one process (schedules, backbone training).
 * The takeover test kills the holder, a real second process, with SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { followLeadership, liveLeaseHolder } from '../../src/services/leases.ts';
import { TrainingBusyError } from '../../src/services/errors.ts';
import { acquireTrainingLock, TRAINING_LEASE, trainingInProgress } from '../../src/services/training-lock.ts';
import { openStore } from '../../src/store/index.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

const waitFor = async (probe: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('SQLite leases', () => {
  it('one live holder per name; renewals keep it; an expired lease is taken over', () => {
    const dir = tempDir();
    const [a, b] = [openStore(dir), openStore(dir)];
    try {
      assert.equal(a.leases.acquire('schedules', 'A', 1_000, 0), true);
      assert.equal(b.leases.acquire('schedules', 'B', 1_000, 500), false, 'A holds it');
      assert.equal(a.leases.acquire('schedules', 'A', 1_000, 900), true, 'A renews');
      assert.equal(b.leases.acquire('schedules', 'B', 1_000, 1_500), false, 'the renewal moved the expiry');
      assert.equal(b.leases.acquire('schedules', 'B', 1_000, 1_900), true, 'A stopped renewing: B takes over');
      assert.equal(a.leases.acquire('schedules', 'A', 1_000, 2_000), false, 'and A has lost it');
      assert.equal(b.leases.holder('schedules', 2_000)?.holder, 'B');
      assert.equal(b.leases.acquire('other', 'A', 1_000, 2_000), true, 'names are independent');
      b.leases.release('schedules', 'A');
      assert.equal(b.leases.holder('schedules', 2_000)?.holder, 'B', 'only the holder releases');
      b.leases.release('schedules', 'B');
      assert.equal(b.leases.holder('schedules', 2_000), undefined);
    } finally {
      a.close();
      b.close();
    }
  });

  it('one backbone training at a time across connections', () => {
    const dir = tempDir();
    const [a, b] = [openStore(dir), openStore(dir)];
    try {
      const release = acquireTrainingLock(a);
      assert.equal(trainingInProgress(b), true);
      assert.throws(() => acquireTrainingLock(b), TrainingBusyError);
      release();
      assert.equal(trainingInProgress(b), false);
      acquireTrainingLock(b)();
    } finally {
      a.close();
      b.close();
    }
  });

  it('a lease whose holder on this host is dead is free at once, without waiting for its expiry', () => {
    const dir = tempDir();
    const store = openStore(dir);
    try {
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      store.leases.acquire(TRAINING_LEASE, `${hostname()}:${gone}:dead`, 60_000);
      store.leases.acquire('schedules', `another-host:${process.pid}:x`, 60_000);
      assert.equal(trainingInProgress(store), false, 'the dead holder is cleared');
      acquireTrainingLock(store)();
      assert.equal(
        liveLeaseHolder(store, 'schedules'),
        `another-host:${process.pid}:x`,
        "another host's holder can only expire",
      );
    } finally {
      store.close();
    }
  });

  it('the schedules move to another process when their holder is killed with SIGKILL', async () => {
    const dir = tempDir();
    const ttlMs = 900;
    const holderScript = `
      import { openStore } from './src/store/index.ts';
      import { followLeadership } from './src/services/leases.ts';
      const store = openStore(${JSON.stringify(dir)});
      followLeadership(store, 'schedules', () => { console.log('LEADING'); return async () => {}; }, { ttlMs: ${ttlMs} });
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holderScript], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const store = openStore(dir);
    let leads = 0;
    let stops = 0;
    let leadership: ReturnType<typeof followLeadership> | undefined;
    try {
      await waitFor(() => output.includes('LEADING'), 60_000, 'the child to lead');
      leadership = followLeadership(
        store,
        'schedules',
        () => {
          leads++;
          return async () => void stops++;
        },
        { ttlMs },
      );
      await new Promise((resolve) => setTimeout(resolve, ttlMs * 1.5));
      assert.equal(leadership.leading(), false, 'the live child keeps the lease by renewing it');
      assert.equal(leads, 0);
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await waitFor(() => leadership!.leading(), ttlMs * 4, 'the takeover');
      assert.ok(Date.now() - killedAt <= ttlMs + ttlMs / 3 + 500, 'taken over within one lease time and one tick');
      assert.equal(leads, 1);
      await leadership.stop();
      assert.equal(stops, 1);
      assert.equal(store.leases.holder('schedules'), undefined, 'stopping frees the lease for the others');
    } finally {
      child.kill('SIGKILL');
      await leadership?.stop();
      store.close();
    }
  });
});
