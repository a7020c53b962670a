/** Thrown when the queue already holds its maximum; callers answer "busy, try again". */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`The recognition queue is full (${limit} waiting)`);
    this.name = 'QueueFullError';
  }
}

/**
 * A bounded FIFO that runs at most `concurrency` jobs at once. Heavy work (decode, ONNX) runs off
 * the event loop inside sharp and onnxruntime; the queue keeps bursts from piling up memory.
 */
export class JobQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxWaiting = 50,
    private readonly concurrency = 1,
  ) {}

  get length(): number {
    return this.waiting.length + this.running;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.maxWaiting);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
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
