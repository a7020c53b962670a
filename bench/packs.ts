/**
 * The roster-pack bench (#38's targets): `npx tsx bench/packs.ts [--out FILE] [--scale-guilds N]`.
 *
 * With every shipped pack added to one guild ("packs") and none to another ("none"), in one process:
 *  - never in a pack: every face of newgame8, keima3 and nagadomi10 (characters no pack has) is asked of
 *    the packs guild, which taught nobody: the share answered "unknown" (target ≥ 0.80);
 *  - taught beside packs: newgame8 taught with 5 shots per character in both guilds; the other faces named
 *    right (target ≥ 0.93 with the packs: packs must not steal taught names);
 *  - tagging: screenshots_syncopika posted alternately to both guilds; median time per screenshot, ratio
 *    packs / none (target ≤ 1.1);
 *  - adding a pack: the first add (its head is fit) and later adds to other guilds (target ≤ 3 s).
 * Then, in a child process of its own (so its memory is its own): N servers (default 1,000), each with
 * every pack added and 3 characters taught, each asked to name a face: peak RSS (target ≤ 600 MB).
 * Held-out accuracy per pack and Million Live's anime faces come from the builder
 * (bench/results/pack-build-*.json, `idoltag roster build --report`).
 */
import { SHARED_DATA } from './env.ts';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedPacks } from '../src/services/packs/library.ts';
import { characterKey } from '../src/store/characters.ts';
import type { Services } from '../src/services/index.ts';
import { printReport, quantile, round, sharedRows, withScratchServices } from './common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SHOTS = 5;
/** `--only tagging,scale`: some sections (adding the packs always runs). */
const only = argValue('--only')?.split(',');
const wanted = (section: string) => !only || only.includes(section);

async function embedFaces(services: Services, files: string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const file of files) {
    const r = await services.recognition.recognise(readFileSync(file), { crops: true });
    out.push(r.faces[0].embedding);
  }
  return out;
}

async function main(): Promise<void> {
  if (process.argv.includes('--scale-child')) return scaleChild(Number(argValue('--scale-child')));
  const packIds = shippedPacks().map((p) => p.id.replace(/^pack-/, ''));
  if (packIds.length === 0) throw new Error('no roster packs in models/manifest.json');
  const report: Record<string, unknown> = { date: new Date().toISOString().slice(0, 10), packs: packIds };
  await withScratchServices('bench-packs', undefined, async (services) => {
    const adds: Array<{ pack: string; guild: string; ms: number; fitMs: number }> = [];
    for (const id of packIds) {
      const added = await services.roster.add('packs', id);
      adds.push({ pack: id, guild: 'packs', ms: round(added.ms, 0), fitMs: round(added.fitMs, 0) });
    }
    for (const id of packIds) {
      const added = await services.roster.add('later', id);
      adds.push({ pack: id, guild: 'later', ms: round(added.ms, 0), fitMs: round(added.fitMs, 0) });
    }
    report.addPack = { adds, maxMs: Math.max(...adds.map((a) => a.ms)), target: '≤ 3000 ms' };

    // Characters in no pack, asked of a guild with every pack and nothing taught.
    if (wanted('neverInPack')) await neverInPackSection(services, report);
    if (wanted('taught')) await taughtSection(services, report);
    if (wanted('tagging')) await taggingSection(services, report);
  });
  if (wanted('scale')) {
    const guilds = Number(argValue('--scale-guilds') ?? 1000);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--scale-child', String(guilds)],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: process.env,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    if (child.status !== 0) throw new Error(`the scale run failed:\n${child.stderr}`);
    report.scale = { ...JSON.parse(child.stdout.trim().split('\n').at(-1)!), target: 'peak RSS ≤ 600 MB' };
  }
  printReport(report, argValue('--out'));
}

async function neverInPackSection(services: Services, report: Record<string, unknown>): Promise<void> {
  const neverInPack: Record<string, unknown> = {};
  let unknown = 0;
  let total = 0;
  for (const set of ['newgame8', 'keima3', 'nagadomi10']) {
    const files = sharedRows(SHARED_DATA, set).map((r) => path.join(SHARED_DATA, set, r.path));
    const vectors = await embedFaces(services, files);
    const named = new Map<string, number>();
    let u = 0;
    for (const v of vectors) {
      const p = services.heads.predict('packs', v);
      if (p.label === null) u++;
      else named.set(p.label, (named.get(p.label) ?? 0) + 1);
    }
    unknown += u;
    total += vectors.length;
    neverInPack[set] = {
      faces: vectors.length,
      unknown: round(u / vectors.length, 3),
      mostNamed: [...named].sort((a, b) => b[1] - a[1]).slice(0, 3),
    };
  }
  report.neverInPack = { ...neverInPack, unknown: round(unknown / total, 3), target: '≥ 0.80' };
}

async function taughtSection(services: Services, report: Record<string, unknown>): Promise<void> {
  // newgame8 taught with 5 shots in both guilds.
  const rows = sharedRows(SHARED_DATA, 'newgame8');
  const byLabel = new Map<string, string[]>();
  for (const r of rows)
    byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), path.join(SHARED_DATA, 'newgame8', r.path)]);
  const rest: Array<{ file: string; label: string }> = [];
  for (const [label, files] of byLabel) {
    for (const guildId of ['packs', 'none']) {
      await services.teaching.teachFiles({
        guildId,
        character: label,
        files: files.slice(0, SHOTS),
        by: 'bench',
        crops: true,
      });
    }
    rest.push(...files.slice(SHOTS).map((file) => ({ file, label })));
  }
  for (const guildId of ['packs', 'none']) await services.heads.refit(guildId);
  const restVectors = await embedFaces(
    services,
    rest.map((r) => r.file),
  );
  const taught: Record<string, unknown> = {};
  for (const guildId of ['packs', 'none']) {
    let right = 0;
    const stolen = new Map<string, number>();
    restVectors.forEach((v, i) => {
      const p = services.heads.predict(guildId, v);
      if (p.label === characterKey(rest[i].label)) right++;
      else if (p.label) stolen.set(p.label, (stolen.get(p.label) ?? 0) + 1);
    });
    taught[guildId] = {
      faces: rest.length,
      namedRight: round(right / rest.length, 3),
      wronglyNamedAs: [...stolen].sort((a, b) => b[1] - a[1]).slice(0, 5),
    };
  }
  report.taughtBesidePacks = { shots: SHOTS, ...taught, target: 'packs ≥ 0.93' };
}

async function taggingSection(services: Services, report: Record<string, unknown>): Promise<void> {
  // Screenshot → tags, alternating guilds so both see the same load.
  const shots = readdirSync(path.join(SHARED_DATA, 'screenshots_syncopika'), { recursive: true })
    .map(String)
    .filter((f) => /\.(png|jpe?g|webp)$/i.test(f))
    .slice(0, 12)
    .map((f) => path.join(SHARED_DATA, 'screenshots_syncopika', f));
  // Three guilds in a rotating order, so each goes first, second and third equally often: "packs" (every
  // pack), "none" and "none-again" (no pack). none-again / none is the noise of the comparison itself.
  const guilds = ['packs', 'none', 'none-again'];
  const times: Record<string, number[]> = Object.fromEntries(guilds.map((g) => [g, []]));
  const ROUNDS = 6;
  for (let r = 0; r < ROUNDS; r++) {
    for (const file of shots) {
      const bytes = readFileSync(file);
      for (let k = 0; k < guilds.length; k++) {
        const guildId = guilds[(k + r) % guilds.length];
        const t0 = performance.now();
        await services.tagging.tagImage({ guildId, bytes, source: { kind: 'file', path: file } });
        times[guildId].push(performance.now() - t0);
      }
    }
  }
  const median = (g: string) => quantile(times[g], 0.5);
  report.tagging = {
    screenshots: shots.length,
    rounds: ROUNDS,
    medianMs: Object.fromEntries(guilds.map((g) => [g, round(median(g))])),
    ratio: round(median('packs') / median('none'), 3),
    noiseRatio: round(median('none-again') / median('none'), 3),
    target: '≤ 1.1',
  };
}

/** N servers with every pack and 3 taught characters each, each asked once: peak RSS of this process. */
async function scaleChild(guilds: number): Promise<void> {
  const packIds = shippedPacks().map((p) => p.id.replace(/^pack-/, ''));
  await withScratchServices('bench-packs-scale', undefined, async (services) => {
    const rssAtOpen = process.memoryUsage().rss;
    const rows = sharedRows(SHARED_DATA, 'newgame8');
    const labels = [...new Set(rows.map((r) => r.label))].slice(0, 3);
    const files = (label: string) =>
      rows
        .filter((r) => r.label === label)
        .slice(0, 2)
        .map((r) => path.join(SHARED_DATA, 'newgame8', r.path));
    const probe = (await services.recognition.recognise(readFileSync(files(labels[0])[0]), { crops: true })).faces[0]
      .embedding;
    const started = performance.now();
    let named = 0;
    for (let g = 0; g < guilds; g++) {
      const guildId = `server-${g}`;
      for (const id of packIds) await services.roster.add(guildId, id);
      for (const label of labels) {
        await services.teaching.teachFiles({
          guildId,
          character: label,
          files: files(label),
          by: 'bench',
          crops: true,
        });
      }
      await services.heads.refit(guildId);
    }
    for (let g = 0; g < guilds; g++) if (services.heads.predict(`server-${g}`, probe).label) named++;
    const usage = process.resourceUsage();
    console.log(
      JSON.stringify({
        guilds,
        packsPerGuild: packIds.length,
        taughtPerGuild: labels.length,
        probeNamedIn: named,
        headsInMemory: services.heads.cachedHeads(),
        rssAtOpenMB: round(rssAtOpen / 2 ** 20),
        peakRssMB: round(usage.maxRSS / 1024),
        seconds: round((performance.now() - started) / 1000),
      }),
    );
  });
}

await main();
