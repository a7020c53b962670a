/**
 * Times each section of the suite: wall and CPU time, peak RSS (sampled every 25 ms) and the load
 * average at its start. This box is shared, and wall times under load are not the machine's speed.
 */
import os from 'node:os';
import { quantile, round } from '../common.ts';

export const stats = (values: number[]) => ({
  median: round(quantile(values, 0.5)),
  p95: round(quantile(values, 0.95)),
  n: values.length,
});

export class SectionTimer {
  peakRss = 0;
  private sectionPeak = 0;
  /** Each section's figures, and its timings, by section id. */
  readonly results: Record<string, unknown> = {};
  private readonly sampler: NodeJS.Timeout;

  constructor(private readonly want: (section: string) => boolean) {
    this.sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      this.peakRss = Math.max(this.peakRss, rss);
      this.sectionPeak = Math.max(this.sectionPeak, rss);
    }, 25);
    this.sampler.unref();
  }

  async run(name: string, fn: () => Promise<object>): Promise<void> {
    if (!this.want(name)) return;
    this.sectionPeak = process.memoryUsage().rss;
    const load = os.loadavg()[0];
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    process.stderr.write(`[bench] ${name}…\n`);
    const value = await fn();
    const cpu = process.cpuUsage(c0);
    this.results[name] = {
      ...value,
      sectionWallMs: round(performance.now() - t0, 0),
      sectionCpuMs: round((cpu.user + cpu.system) / 1000, 0),
      peakRssMB: round(this.sectionPeak / 2 ** 20, 0),
      loadAverageAtStart: round(load, 2),
    };
  }

  stop(): void {
    clearInterval(this.sampler);
  }
}
