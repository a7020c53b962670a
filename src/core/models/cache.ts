import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makerFor } from './makers.ts';
import { PROJECT_ROOT, getModel, type ModelEntry, type ModelFile } from './manifest.ts';

export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

/**
 * Where model files come from. The caller reads these settings (src/config.ts: IDOLTAG_MODEL_CACHE,
 * IDOLTAG_MODEL_MIRROR, IDOLTAG_OFFLINE) and passes them in.
 */
export interface ModelSources {
  /** Default: models/cache in the project. */
  cacheDir?: string;
  /** A folder holding mirrored model files, tried before any download. */
  mirrorDir?: string;
  /** Never download: the cache, the mirror and the makers only (tests, air-gapped hosts). */
  offline?: boolean;
}

function modelCacheDir(sources: ModelSources): string {
  return path.resolve(sources.cacheDir ?? path.join(PROJECT_ROOT, 'models', 'cache'));
}

function modelMirrorDir(sources: ModelSources): string | undefined {
  return sources.mirrorDir ? path.resolve(sources.mirrorDir) : undefined;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function pickFile(model: ModelEntry, fileName?: string): ModelFile {
  const file = fileName ? model.files.find((f) => f.name === fileName) : model.files[0];
  if (!file) throw new Error(`Model "${model.id}" has no file ${fileName}`);
  return file;
}

/**
 * The one way to get a model file by name. Shipped files are read in place from the repository;
 * every other file comes from the cache, else the mirror, else its upstream URL (not offline), else
 * its maker when the model is derived. Hashes are checked on every fetch and whenever a cached or
 * shipped copy is reused.
 */
export async function resolveModelFile(sources: ModelSources, modelId: string, fileName?: string): Promise<string> {
  const model = getModel(modelId);
  const file = pickFile(model, fileName);
  if (model.shipped) return shippedFile(model, file);

  const target = path.join(modelCacheDir(sources), model.id, file.name);
  if (await cachedCopyIsGood(target, file)) return target;
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const failures: string[] = [];
  for (const [where, getIt] of sourcesOf(sources, model, file)) {
    try {
      await getIt(partial);
      const hash = await sha256File(partial);
      if (file.sha256 && hash !== file.sha256) {
        failures.push(`${where}: sha256 ${hash} does not match ${file.sha256}`);
        continue;
      }
      renameSync(partial, target);
      writeFileSync(`${target}.sha256`, `${hash}\n`);
      return target;
    } catch (err) {
      if (err instanceof ModelUnavailableError && where.startsWith('made from')) throw err;
      failures.push(`${where}: ${(err as Error).message}`);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  throw new ModelUnavailableError(
    `Could not get ${describeSources(sources, model, file)}. Tried: ${failures.join(' | ') || 'nothing'}. ` +
      'Set IDOLTAG_MODEL_MIRROR to a folder holding the mirrored models, or allow the download.',
  );
}

export type Source = [where: string, getIt: (dest: string) => Promise<void>];

/** Where a file not in the cache is looked for, in order: what each place is called, and how to get it from there. */
export function sourcesOf(sources: ModelSources, model: ModelEntry, file: ModelFile): Source[] {
  const found: Source[] = [];
  const mirror = modelMirrorDir(sources);
  const mirrored = mirror ? path.join(mirror, model.mirrorDir ?? model.id, file.name) : undefined;
  // A derived model is only looked for in the mirror when the mirror has a folder for it.
  if (mirrored && (!model.derivedFrom || existsSync(mirrored)))
    found.push([mirrored, (dest) => copyFile(mirrored, dest)]);
  if (file.url && !sources.offline) found.push([file.url, (dest) => download(file.url!, dest)]);
  if (model.derivedFrom) {
    const from = getModel(model.derivedFrom);
    found.push([
      `made from ${from.id}`,
      async (dest) => {
        const sourcePaths = [];
        for (const f of from.files) sourcePaths.push(await resolveModelFile(sources, from.id, f.name));
        await (await makerFor(model.id))(sourcePaths, dest);
      },
    ]);
  }
  return found;
}

/** A cached copy is good when it matches the manifest's hash, or (derived files) its own record. */
async function cachedCopyIsGood(target: string, file: ModelFile): Promise<boolean> {
  if (!existsSync(target)) return false;
  const hash = await sha256File(target);
  if (file.sha256) return hash === file.sha256;
  const record = `${target}.sha256`;
  return existsSync(record) && readFileSync(record, 'utf8').trim() === hash;
}

// Shipped files are hashed once per process (and again if they change on disk).
const verifiedShipped = new Map<string, string>();

async function shippedFile(model: ModelEntry, file: ModelFile): Promise<string> {
  const relative = path.posix.join(model.shipped!, file.name);
  const full = path.join(PROJECT_ROOT, relative);
  if (!existsSync(full)) {
    throw new ModelUnavailableError(
      `The model file ${relative} is missing from this copy of idoltag; restore it with: git checkout -- ${relative}`,
    );
  }
  const { size, mtimeMs } = statSync(full);
  const stamp = `${size}:${mtimeMs}`;
  if (verifiedShipped.get(full) === stamp) return full;
  const hash = await sha256File(full);
  if (file.sha256 && hash !== file.sha256) {
    throw new ModelUnavailableError(
      `The model file ${relative} is damaged (sha256 ${hash.slice(0, 12)}…, models/manifest.json expects ${file.sha256.slice(0, 12)}…), ` +
        `so idoltag will not use it; restore it with: git checkout -- ${relative}`,
    );
  }
  verifiedShipped.set(full, stamp);
  return full;
}

function describeSources(sources: ModelSources, model: ModelEntry, file: ModelFile): string {
  const mirror = modelMirrorDir(sources);
  return [
    `model "${model.id}", file ${file.name}`,
    file.url ? `upstream: ${file.url}` : undefined,
    mirror
      ? `local mirror (IDOLTAG_MODEL_MIRROR): ${path.join(mirror, model.mirrorDir ?? model.id, file.name)}`
      : 'no local mirror set (IDOLTAG_MODEL_MIRROR)',
  ]
    .filter(Boolean)
    .join('; ');
}

async function download(url: string, dest: string): Promise<void> {
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  await writeFile(dest, Buffer.from(await res.arrayBuffer()));
}

/** Short content hash of a resolved model file, used in model version ids. */
export async function shortHash(file: string): Promise<string> {
  const record = `${file}.sha256`;
  const hash = existsSync(record) ? readFileSync(record, 'utf8').trim() : await sha256File(file);
  return hash.slice(0, 8);
}
