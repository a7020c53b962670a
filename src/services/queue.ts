import { AsyncLocalStorage } from 'node:async_hooks';
import { QueueFullError } from './errors.ts';

/**
 * A bounded FIFO that runs at most `concurrency` jobs at once. Heavy work (decode, ONNX) runs off
 * the event loop inside sharp and onnxruntime; the queue keeps bursts from piling up memory.
 * Services apply it themselves, so no caller can forget it. A job that calls another queued
 * service method runs that one inline: it already holds its place (waiting would deadlock).
 */
export class JobQueue {
  private running = 0;
  private readonly insideJob = new AsyncLocalStorage<JobQueue>();
  private readonly waiting: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxWaiting = 50,
    private readonly concurrency = 1,
  ) {}

  get length(): number {
    return this.waiting.length + this.running;
  }

  /**
   * Runs job when its turn comes. People's requests are refused when the queue is full
   * (QueueFullError); background work (`whenFull: 'wait'`: head refits, a model swap) waits instead.
   */
  async run<T>(job: () => Promise<T> | T, options: { whenFull?: 'refuse' | 'wait' } = {}): Promise<T> {
    if (this.insideJob.getStore() === this) return job();
    if (this.running >= this.concurrency) {
      if (options.whenFull !== 'wait' && this.waiting.length >= this.maxWaiting)
        throw new QueueFullError(this.maxWaiting);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await this.insideJob.run(this, job);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else {
        this.running--;
        if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }

  /** Resolves once nothing runs or waits (used to finish in-flight work on shutdown). */
  onIdle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
