/**
 * What the benches share: the settings they open the services with, their figures' rounding and
 * quantiles, the command line of the benches over the held-out CG idols, embedding and teaching the
 * shared face sets, and writing a report.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRuntimeSettings, modelSources } from '../src/config.ts';
import { parseCsv } from '../src/core/labelled-files.ts';
import type { ModelSources } from '../src/core/models/cache.ts';
import { EmbeddingCache, loadEvalItems, sharedLabels } from '../src/services/evaluation/index.ts';
import type { Sample } from '../src/services/evaluation/protocols.ts';
import { openServices, type ServiceOptions, type Services } from '../src/services/index.ts';
import { resolveVersionName } from '../src/services/embedder-registry.ts';

/** Where model files come from, as the settings say (bench/env.ts defaults the mirror to ../shared/data/models). */
export function benchModelSources(): ModelSources {
  return modelSources(loadRuntimeSettings());
}

/** openServices' options for a bench's scratch data folder: model files and the trainer's Python from the settings. */
export function benchServiceOptions(dataDir: string): ServiceOptions {
  const runtime = loadRuntimeSettings();
  return { dataDir, models: modelSources(runtime), trainerPython: runtime.python };
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** The q-quantile of `values`, interpolated between the two nearest ranks; NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/**
 * Runs `fn` with services on a scratch data folder and an embedding cache of face crops; the folder
 * serves the embedder `embedder` names when given (default, imagenet or a version id). The services
 * are closed and the folder removed afterwards.
 */
export async function withScratchServices(
  prefix: string,
  embedder: string | undefined,
  fn: (services: Services, cache: EmbeddingCache) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `idoltag-${prefix}-`));
  const services = await openServices(benchServiceOptions(dataDir));
  try {
    if (embedder) await services.activateEmbedder(resolveVersionName(embedder));
    await fn(services, new EmbeddingCache(services, true));
  } finally {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The command line of a bench over the held-out CG idols: the folder first, then `--name value`
 * options. Throws the usage line when the folder is missing.
 */
export function heldOutIdolsArgs(usage: string): {
  heldOutIdols: string;
  option: (name: string) => string | undefined;
} {
  const args = process.argv.slice(2);
  const heldOutIdols = args[0];
  if (!heldOutIdols || heldOutIdols.startsWith('--')) throw new Error(`usage: ${usage}`);
  return { heldOutIdols, option: (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined) };
}

/** Prints a bench report as JSON and, with `--out file`, writes it there too. */
export function printReport(report: unknown, out?: string): void {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (out) writeFileSync(out, json);
  console.log(json);
}

/** Every picture of the sources that yields an embedding, embedded through the cache (as the bot embeds it). */
export async function embedSources(cache: EmbeddingCache, sources: string[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const item of loadEvalItems(sources)) {
    const e = await cache.get(item.path);
    if (e.embedding) out.push({ item, vector: e.embedding });
  }
  return out;
}

/** The rows of a shared face set's labels CSV. */
export function sharedRows(sharedData: string, set: string): Array<Record<string, string>> {
  return parseCsv(readFileSync(sharedLabels(sharedData, set), 'utf8'));
}

/**
 * Teaches nagadomi10's training crops, `perCharacter` of each of its 10 characters (all without it),
 * into a guild; the caller refits.
 */
export async function teachNagadomi10(
  services: Services,
  sharedData: string,
  guildId: string,
  perCharacter?: number,
): Promise<void> {
  const rows = sharedRows(sharedData, 'nagadomi10').filter((r) => r.orig_split === 'train');
  for (const label of [...new Set(rows.map((r) => r.label))]) {
    await services.teaching.teachFiles({
      guildId,
      character: label,
      files: rows
        .filter((r) => r.label === label)
        .slice(0, perCharacter)
        .map((r) => path.join(sharedData, 'nagadomi10', r.path)),
      by: 'bench',
      crops: true,
    });
  }
}
