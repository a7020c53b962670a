/** Sections tag and tag1080: screenshot → tags through tagImage, by stage, on the stored screenshots and in 1080p frames. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { quantile } from '../common.ts';
import { stats } from './timing.ts';
import { openServicesIn, seedGuild, type Suite } from './suite.ts';

/** screenshots_syncopika → tags: decode / detect / embed / head (the TagResult timings) and the whole call. */
export async function tagSection(suite: Suite) {
  const services = (suite.tagServices = await openServicesIn(suite.tagDir));
  await seedGuild(services, 'bench', suite.quick ? 5 : 20);
  // Warm-up: loads the detector and the embedder, first-run allocations.
  for (const file of suite.screenshots.slice(0, 3))
    await services.tagging.tagImage({
      guildId: 'warmup',
      bytes: await readFile(file),
      source: { kind: 'file', path: file },
    });
  const stages = {
    decode: [] as number[],
    detect: [] as number[],
    embed: [] as number[],
    head: [] as number[],
    total: [] as number[],
    cpu: [] as number[],
  };
  let faces = 0;
  const list = suite.quick ? suite.screenshots.slice(0, 15) : suite.screenshots;
  for (const file of list) {
    const bytes = await readFile(file);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await services.tagging.tagImage({ guildId: 'bench', bytes, source: { kind: 'file', path: file } });
    stages.total.push(performance.now() - t0);
    const cpu = process.cpuUsage(c0);
    stages.cpu.push((cpu.user + cpu.system) / 1000);
    stages.decode.push(result.timings.decodeMs);
    stages.detect.push(result.timings.detectMs);
    stages.embed.push(result.timings.embedMs);
    stages.head.push(result.timings.headMs);
    faces += result.faces.length;
    suite.cropsForBaseline.push({ path: file, boxes: result.faces.map((f) => [f.box.x, f.box.y, f.box.w, f.box.h]) });
  }
  suite.tagMedian = quantile(stages.total, 0.5);
  const detector = (await services.recognition.detector()).id;
  return {
    screenshots: list.length,
    faces,
    detector,
    embedder: services.embedders.activeVersion(),
    ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stats(v)])),
    note: 'total = the whole tagImage call (decode, detect, embed, head, and storing crops and rows); cpu = process CPU time per call (all threads)',
  };
}

/** Real screenshots are larger than the stored set: the same shots letterboxed into 1920×1080 JPEG frames. */
export async function tag1080Section(suite: Suite) {
  if (!suite.tagServices) {
    suite.tagServices = await openServicesIn(suite.tagDir);
    await seedGuild(suite.tagServices, 'bench', suite.quick ? 5 : 20);
  }
  const services = suite.tagServices;
  const list = suite.screenshots.slice(0, suite.quick ? 8 : 30);
  const frames = await Promise.all(
    list.map((file) =>
      sharp(file).resize(1920, 1080, { fit: 'contain', background: '#000000' }).jpeg({ quality: 90 }).toBuffer(),
    ),
  );
  await services.tagging.tagImage({ guildId: 'warmup', bytes: frames[0], source: { kind: 'file', path: 'frame' } });
  const stages = { decode: [] as number[], detect: [] as number[], embed: [] as number[], total: [] as number[] };
  for (const [i, bytes] of frames.entries()) {
    const t0 = performance.now();
    const result = await services.tagging.tagImage({
      guildId: 'bench',
      bytes,
      source: { kind: 'file', path: list[i] },
    });
    stages.total.push(performance.now() - t0);
    stages.decode.push(result.timings.decodeMs);
    stages.detect.push(result.timings.detectMs);
    stages.embed.push(result.timings.embedMs);
  }
  return {
    frames: frames.length,
    size: '1920x1080 JPEG (quality 90), the screenshots letterboxed',
    ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stats(v)])),
  };
}
