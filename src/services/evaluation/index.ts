import type { ServiceBlocks } from '../service-blocks.ts';
import { loadEvalItems, type EvalItem } from './dataset.ts';
import { EmbeddingCache } from './embed.ts';
import { closedProtocol, dlcProtocol, fewShotProtocol, planDlc, type Sample } from './protocols.ts';
import type { EvaluationOptions, EvaluationReport } from './types.ts';

export { formatReport } from './report.ts';
export type { EvaluationOptions, EvaluationReport, Protocol } from './types.ts';
export { loadEvalItems } from './dataset.ts';
export { EmbeddingCache } from './embed.ts';
export { DLC_NEWGAME8_NEW, dlcNewgame8, sharedLabels } from './shared-sets.ts';

const EVAL_GUILD = 'eval';

/**
 * Runs one protocol end to end: load the items, embed each file once, split, fit heads with the
 * bot's own `trainHead`, and measure. Nothing is written to the database unless the DLC protocol
 * trains an embedder (which teaches the old characters into the guild "eval" first).
 */
export async function runEvaluation(services: ServiceBlocks, options: EvaluationOptions): Promise<EvaluationReport> {
  const started = performance.now();
  const shots = options.shots ?? 5;
  const seeds = options.seeds ?? 5;
  const seed = options.seed ?? 1;
  const testFraction = options.testFraction ?? 0.3;
  const items = loadEvalItems(options.sources, { aliases: options.aliases });
  if (items.length === 0) throw new Error(`No labelled images found in ${options.sources.join(', ')}`);
  const unknownItems = options.unknownSources?.length
    ? loadEvalItems(options.unknownSources, { aliases: options.aliases })
    : [];
  const cache = options.cache ?? new EmbeddingCache(services, options.crops ?? false);
  const skipped: Array<{ path: string; error: string }> = [];
  const total = items.length + unknownItems.length;
  let done = 0;
  const embedAll = async (list: EvalItem[], version?: string): Promise<Sample[]> => {
    const out: Sample[] = [];
    for (const item of list) {
      const e = await cache.get(item.path, version);
      options.onProgress?.(++done, total);
      if (e.embedding) out.push({ item, vector: e.embedding });
      else if (!version) skipped.push({ path: item.path, error: e.error ?? 'not embedded' });
    }
    return out;
  };
  let samples = await embedAll(items);
  const taughtLabels = new Set(samples.map((s) => s.item.label));
  let unknown = await embedAll(unknownItems);
  const overlapping = unknown.filter((s) => taughtLabels.has(s.item.label));
  if (overlapping.length > 0) {
    options.log?.(`ignoring ${overlapping.length} --unknown faces of characters that are in the data`);
    unknown = unknown.filter((s) => !taughtLabels.has(s.item.label));
  }
  if (samples.length === 0) throw new Error('No picture could be embedded; are these face crops (--crops)?');
  const embedMs = cache.embedMs;
  const evalStarted = performance.now();
  let embedder = services.embedders.activeVersion();

  const report: EvaluationReport = {
    protocol: options.protocol,
    sources: options.sources,
    embedder,
    input: options.crops ? 'crops' : 'detected faces',
    items: items.length,
    embedded: samples.length,
    skipped,
    characters: countBy(samples.map((s) => s.item.label)),
    options: { shots, seeds, seed, testFraction },
    timings: { embedMs: 0, evaluateMs: 0, totalMs: 0 },
  };

  if (options.protocol === 'closed') {
    Object.assign(report, await closedProtocol(samples, { seed, testFraction, unknown, head: options.head }));
  } else if (options.protocol === 'fewshot') {
    Object.assign(report, await fewShotProtocol(samples, { shots, seeds, seed, unknown, head: options.head }));
  } else {
    let plan = planDlc(samples, { newLabels: options.newLabels, seed, testFraction });
    let backbone = `${embedder} (not retrained: head-only DLC)`;
    if (options.trainEmbedder) {
      const trained = await trainEmbedderOn(services, plan.oldTrain, options);
      if (trained.version) {
        embedder = trained.version;
        // Same items, same seed → the same plan, now with the new embedder's embeddings.
        samples = await embedAll(
          samples.map((s) => s.item),
          trained.version,
        );
        plan = planDlc(samples, { newLabels: plan.newLabels, seed, testFraction });
        backbone = `${trained.version}, trained on the ${plan.oldLabels.length} old characters' training faces (${trained.note})`;
      } else {
        backbone = `${embedder} (${trained.note}; head-only DLC)`;
      }
    }
    Object.assign(report, await dlcProtocol(plan, { shots, seeds, seed, backbone, head: options.head }));
    report.embedder = embedder;
  }
  report.timings = { embedMs, evaluateMs: performance.now() - evalStarted, totalMs: performance.now() - started };
  return report;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values.slice().sort()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/**
 * Teaches the old characters' training faces into the guild "eval" of this (scratch) data folder
 * and runs `trainEmbedder` (src/services/embedder-training.ts), which trains on every human label in
 * the folder. The candidate it registers is evaluated whether or not its own held-out check let it
 * serve.
 */
async function trainEmbedderOn(
  services: ServiceBlocks,
  oldTrain: Sample[],
  options: EvaluationOptions,
): Promise<{ version?: string; note: string }> {
  const { trainEmbedder } = await import('../embedder-training.ts');
  const byLabel = new Map<string, EvalItem[]>();
  for (const s of oldTrain) byLabel.set(s.item.label, [...(byLabel.get(s.item.label) ?? []), s.item]);
  for (const [character, list] of byLabel) {
    await services.teaching.teachFiles({
      guildId: EVAL_GUILD,
      character,
      files: list.map((item) => item.path),
      by: 'eval',
      crops: options.crops,
    });
  }
  options.log?.(`training the embedder on ${oldTrain.length} faces of ${byLabel.size} characters…`);
  const outcome = await trainEmbedder(services, {
    force: true,
    onProgress: (event) => {
      const e = event as { event?: string; epoch?: number; epochs?: number; val_map_at_r?: number };
      if (e.event === 'epoch')
        options.log?.(`  epoch ${e.epoch}/${e.epochs}: MAP@R ${e.val_map_at_r?.toFixed(3) ?? '?'}`);
    },
  });
  if (outcome.version && services.store.embedders.get(outcome.version)) {
    return { version: outcome.version, note: `${outcome.status}: ${outcome.reason}` };
  }
  return { note: `embedder training ${outcome.status}: ${outcome.reason}` };
}
