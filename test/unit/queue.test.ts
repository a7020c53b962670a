import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueFullError } from '../../src/services/errors.ts';
import { JobQueue } from '../../src/services/queue.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('job queue', () => {
  it('runs one job at a time, in order', async () => {
    const queue = new JobQueue(10);
    const events: string[] = [];
    const job = (name: string) => async () => {
      events.push(`${name} start`);
      await tick();
      events.push(`${name} end`);
      return name;
    };
    assert.deepEqual(await Promise.all([queue.run(job('a')), queue.run(job('b'))]), ['a', 'b']);
    assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end']);
  });

  it('runs a queued call made from inside a job at once instead of deadlocking', async () => {
    const queue = new JobQueue(10);
    const inner = () => queue.run(async () => 'inner');
    assert.equal(await queue.run(async () => `outer+${await inner()}`), 'outer+inner');
    assert.equal(queue.length, 0);
  });

  it('refuses people when full, but background work waits its turn', async () => {
    const queue = new JobQueue(1);
    let release!: () => void;
    const blocker = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    const waiting = queue.run(async () => 'waiting');
    await assert.rejects(
      queue.run(async () => 'refused'),
      QueueFullError,
    );
    const background = queue.run(async () => 'background', { whenFull: 'wait' });
    release();
    assert.deepEqual(await Promise.all([blocker, waiting, background]), [undefined, 'waiting', 'background']);
    await queue.onIdle();
  });
});
