/**
 * Does a head fit on the taught faces *and* extra views of them (a small rotation, a zoom, a wider frame)
 * name more? `npx tsx bench/support-views.ts <held-out CG idols> [--embedder name] [--out file]`.
 *
 * Each taught crop adds one embedding per view to the head's training set (labels unchanged); queries are
 * embedded as the bot embeds them. Measured on two of issue 12's protocols, with the bot's own head and
 * gate: the held-out CG idols taught 5 shots each (5 runs; never-taught newgame8 + keima3 faces as
 * unknowns) and nagadomi10's closed set (never-taught faces against its head too). Row "none" is the
 * product as it is, so every row compares with it in the same process.
 */
import { SHARED_DATA } from './env.ts';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom, seedFrom } from '../src/core/eval/random.ts';
import { fewShotSplit } from '../src/core/eval/split.ts';
import { sharedLabels } from '../src/services/evaluation/index.ts';
import { accuracy, fitHead, query, trainTestSplit, type Sample } from '../src/services/evaluation/protocols.ts';
import { embedSources, heldOutIdolsArgs, printReport, withScratchServices } from './common.ts';

const { heldOutIdols, option } = heldOutIdolsArgs(
  'npx tsx bench/support-views.ts <held-out CG idols> [--embedder name] [--out file]',
);
const RUNS = 5;
const SHOTS = 5;

async function size(image: Buffer): Promise<{ width: number; height: number }> {
  const { width, height } = await sharp(image).metadata();
  return { width: width ?? 0, height: height ?? 0 };
}

/** Rotated about the centre, cut back to the original frame (white corners, like a card's margin). */
async function rotate(image: Buffer, degrees: number): Promise<Buffer> {
  const { width, height } = await size(image);
  const turned = await sharp(image)
    .rotate(degrees, { background: { r: 255, g: 255, b: 255 } })
    .png()
    .toBuffer();
  const big = await size(turned);
  const left = Math.floor((big.width - width) / 2);
  const top = Math.floor((big.height - height) / 2);
  return sharp(turned).extract({ left, top, width, height }).png().toBuffer();
}

/** A crop of `share` of each side, placed at (x, y) of the room left (0.5, 0.5: centred). */
async function zoom(image: Buffer, share: number, x: number, y: number): Promise<Buffer> {
  const { width, height } = await size(image);
  const w = Math.round(width * share);
  const h = Math.round(height * share);
  const left = Math.round((width - w) * x);
  const top = Math.round((height - h) * y);
  return sharp(image).extract({ left, top, width: w, height: h }).png().toBuffer();
}

/** A wider frame: each side extended by mirroring the edge. */
async function widen(image: Buffer, share: number): Promise<Buffer> {
  const { width, height } = await size(image);
  const x = Math.round((width * (share - 1)) / 2);
  const y = Math.round((height * (share - 1)) / 2);
  return sharp(image).extend({ left: x, right: x, top: y, bottom: y, extendWith: 'mirror' }).png().toBuffer();
}

const VIEWS: Record<string, (image: Buffer) => Promise<Buffer>> = {
  'rotated +8°': (b) => rotate(b, 8),
  'rotated -8°': (b) => rotate(b, -8),
  'zoom 85 %, centre': (b) => zoom(b, 0.85, 0.5, 0.5),
  'zoom 85 %, top left': (b) => zoom(b, 0.85, 0.25, 0.25),
  'zoom 85 %, bottom right': (b) => zoom(b, 0.85, 0.75, 0.75),
  'frame 115 %': (b) => widen(b, 1.15),
};

const viewDir = mkdtempSync(path.join(tmpdir(), 'idoltag-support-views-files-'));
try {
  await withScratchServices('support-views', option('--embedder'), async (services, cache) => {
    const embed = (sources: string[]) => embedSources(cache, sources);
    // A view is written to a file and embedded through the same path as the pictures themselves, once.
    const embeddedViews = new Map<string, Sample | undefined>();
    const viewOf = async (sample: Sample, view: string): Promise<Sample | undefined> => {
      const key = `${view}\0${sample.item.path}`;
      if (embeddedViews.has(key)) return embeddedViews.get(key);
      const file = path.join(viewDir, `${createHash('sha1').update(key).digest('hex')}.png`);
      writeFileSync(file, await VIEWS[view](await readFile(sample.item.path)));
      const e = await cache.get(file);
      const extra = e.embedding ? { item: { ...sample.item, path: file }, vector: e.embedding } : undefined;
      embeddedViews.set(key, extra);
      return extra;
    };
    const taught = async (support: Sample[], chosen: string[]): Promise<Sample[]> => {
      const out = [...support];
      for (const s of support) {
        for (const v of chosen) {
          const extra = await viewOf(s, v);
          if (extra) out.push(extra);
        }
      }
      return out;
    };

    const never = await embed([sharedLabels(SHARED_DATA, 'newgame8'), sharedLabels(SHARED_DATA, 'keima3')]);
    const nagadomi = await embed([sharedLabels(SHARED_DATA, 'nagadomi10')]);
    const idols = await embed([heldOutIdols]);
    const unknownShare = (outcomes: { label: string | null }[]) =>
      outcomes.filter((o) => o.label === null).length / outcomes.length;
    const round = (x: number) => Number(x.toFixed(3));

    const rows: Record<string, unknown> = {};
    const settings: [string, string[]][] = [
      ['none', []],
      ...Object.keys(VIEWS).map((v): [string, string[]] => [v, [v]]),
      ['all six', Object.keys(VIEWS)],
    ];
    for (const [name, views] of settings) {
      let named = 0;
      let best = 0;
      const unknown: { label: string | null }[] = [];
      for (let r = 0; r < RUNS; r++) {
        const split = fewShotSplit(
          idols.map((s) => s.item),
          SHOTS,
          seededRandom(seedFrom('fewshot', 1, r)),
        );
        const head = await fitHead(
          await taught(
            split.support.map((i) => idols[i]),
            views,
          ),
        );
        const a = accuracy(
          query(
            head,
            split.query.map((i) => idols[i]),
          ),
        );
        named += a.labelAccuracy / RUNS;
        best += a.top1 / RUNS;
        unknown.push(...query(head, never));
      }
      const { train, test } = trainTestSplit(nagadomi, 1, 0.3);
      const head = await fitHead(await taught(train, views));
      const closed = accuracy(query(head, test));
      rows[name] = {
        heldOutIdols5Shot: {
          namedRight: round(named),
          bestCandidate: round(best),
          neverTaughtUnknown: round(unknownShare(unknown)),
        },
        closedNagadomi10: {
          namedRight: round(closed.labelAccuracy),
          bestCandidate: round(closed.top1),
          neverTaughtUnknown: round(unknownShare(query(head, never))),
        },
      };
      console.error(`${name}: ${JSON.stringify(rows[name])}`);
    }
    printReport(
      {
        date: new Date().toISOString(),
        embedder: services.embedders.activeVersion(),
        heldOutIdols: path.relative(process.cwd(), heldOutIdols),
        what: 'the head fit on the taught faces plus one or more extra views of each; the queries as the bot sees them',
        note: 'named right counts "unknown" as wrong; the default gate (floor 0.99)',
        views: rows,
      },
      option('--out'),
    );
  });
} finally {
  rmSync(viewDir, { recursive: true, force: true });
}
