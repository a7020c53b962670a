import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from '../core/types.ts';
import type { ServiceBlocks } from './service-blocks.ts';

export interface SwapProgress {
  phase: 're-embed' | 'refit' | 'activate';
  done: number;
  total: number;
}

/** A stored face crop (PNG under the data folder) as RGB pixels. */
export async function readCrop(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(await readFile(file))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Embeds every stored face crop that has no embedding under `version` yet. Each batch is one
 * transaction, and the serving model is untouched, so this can be stopped at any point and resumed.
 */
export async function reembedAll(
  services: ServiceBlocks,
  version: string,
  onProgress?: (p: SwapProgress) => void,
  batchSize = 32,
): Promise<number> {
  const embedder = await services.embedders.embedder(version);
  const missing = services.store.embeddings.missingFor(version);
  for (let i = 0; i < missing.length; i += batchSize) {
    const batch = missing.slice(i, i + batchSize);
    const crops = await Promise.all(batch.map((f) => readCrop(services.files.absolute(f.crop_path))));
    // Batch by batch through the queue, so tagging goes on between batches.
    const vectors = await services.queue.run(() => embedder.embed(crops), { whenFull: 'wait' });
    services.store.transaction(() => batch.forEach((f, k) => services.store.embeddings.put(f.id, version, vectors[k])));
    onProgress?.({ phase: 're-embed', done: Math.min(i + batchSize, missing.length), total: missing.length });
  }
  return missing.length;
}

/** Re-embeds, refits every guild's head under `version`, then switches to it in one transaction. */
export async function activateEmbedder(
  services: ServiceBlocks,
  version: string,
  onProgress?: (p: SwapProgress) => void,
): Promise<void> {
  if (!services.store.embedders.get(version))
    throw new Error(`There is no model version ${version} (see: idoltag embedder list)`);
  await services.embedders.embedder(version); // fails early if the file is missing or broken
  await reembedAll(services, version, onProgress);
  const guilds = services.store.heads.guilds();
  for (const [i, guild] of guilds.entries()) {
    await services.heads.refit(guild, version);
    onProgress?.({ phase: 'refit', done: i + 1, total: guilds.length });
  }
  // Packs in use get their head under the new embedder (from their references for it, if they have any).
  for (const pack of services.store.packs.inUse()) await services.packs.ensureHead(pack, version);
  services.store.embedders.activate(version);
  onProgress?.({ phase: 'activate', done: 1, total: 1 });
}
