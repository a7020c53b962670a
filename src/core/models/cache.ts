import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT, getModel, type ModelEntry, type ModelFile } from './manifest.ts';

export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

export function modelCacheDir(): string {
  return path.resolve(process.env.IDOLTAG_MODEL_CACHE ?? path.join(PROJECT_ROOT, 'models', 'cache'));
}

export function modelMirrorDir(): string | undefined {
  const dir = process.env.IDOLTAG_MODEL_MIRROR;
  return dir ? path.resolve(dir) : undefined;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function describeSources(model: ModelEntry, file: ModelFile): string {
  const mirror = modelMirrorDir();
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

/**
 * Returns the cached path of one file of a fetched (non-derived) model, fetching it from the mirror
 * or upstream on first use. The hash is checked on every fetch and whenever the cache is reused.
 */
export async function resolveModelFile(modelId: string, fileName?: string): Promise<string> {
  const model = getModel(modelId);
  if (model.derive) return resolveDerived(modelId);
  const file = fileName ? model.files.find((f) => f.name === fileName) : model.files[0];
  if (!file) throw new Error(`Model "${modelId}" has no file ${fileName}`);
  const dir = path.join(modelCacheDir(), model.id);
  const target = path.join(dir, file.name);
  if (existsSync(target) && (!file.sha256 || (await verified(target, file.sha256)))) return target;

  mkdirSync(dir, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const failures: string[] = [];
  const mirror = modelMirrorDir();
  const sources: Array<[string, () => Promise<void>]> = [];
  if (mirror) {
    const mirrored = path.join(mirror, model.mirrorDir ?? model.id, file.name);
    sources.push([mirrored, () => copyFile(mirrored, partial)]);
  }
  // IDOLTAG_OFFLINE=1 never reaches upstream (tests, air-gapped installs): the mirror or nothing.
  if (file.url && !process.env.IDOLTAG_OFFLINE) sources.push([file.url, () => download(file.url!, partial)]);
  for (const [where, fetchIt] of sources) {
    try {
      await fetchIt();
      const hash = await sha256File(partial);
      if (file.sha256 && hash !== file.sha256) {
        failures.push(`${where}: sha256 ${hash} does not match ${file.sha256}`);
        continue;
      }
      renameSync(partial, target);
      writeFileSync(`${target}.sha256`, `${hash}\n`);
      return target;
    } catch (err) {
      failures.push(`${where}: ${(err as Error).message}`);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  throw new ModelUnavailableError(
    `Could not get ${describeSources(model, file)}. Tried: ${failures.join(' | ') || 'nothing'}. ` +
      'Set IDOLTAG_MODEL_MIRROR to a folder holding the mirrored models, or allow the download.',
  );
}

async function verified(file: string, expected: string): Promise<boolean> {
  return (await sha256File(file)) === expected;
}

export type Deriver = (sourcePaths: string[], outPath: string) => Promise<void>;
const derivers = new Map<string, Deriver>();

/** Core modules register how to build their derived model files (e.g. an ONNX graph edit). */
export function registerDeriver(name: string, deriver: Deriver): void {
  derivers.set(name, deriver);
}

/**
 * A derived model is rebuilt from its source by the project's own code, then cached with its own
 * hash; a cached file whose hash no longer matches its record is rebuilt.
 */
export async function resolveDerived(modelId: string): Promise<string> {
  const model = getModel(modelId);
  if (!model.derive || !model.derivedFrom) throw new Error(`Model "${modelId}" is not derived`);
  const deriver = derivers.get(model.derive);
  if (!deriver) throw new Error(`No deriver "${model.derive}" registered for model "${modelId}"`);
  const dir = path.join(modelCacheDir(), model.id);
  const target = path.join(dir, model.files[0].name);
  const record = `${target}.sha256`;
  if (existsSync(target) && existsSync(record)) {
    if ((await sha256File(target)) === readFileSync(record, 'utf8').trim()) return target;
  }
  const source = getModel(model.derivedFrom);
  const sourcePaths = await Promise.all(source.files.map((f) => resolveModelFile(source.id, f.name)));
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    await deriver(sourcePaths, partial);
    const hash = await sha256File(partial);
    renameSync(partial, target);
    writeFileSync(record, `${hash}\n`);
    return target;
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Short content hash of a resolved model file, used in model version ids. */
export async function shortHash(file: string): Promise<string> {
  const record = `${file}.sha256`;
  const hash = existsSync(record) ? readFileSync(record, 'utf8').trim() : await sha256File(file);
  return hash.slice(0, 8);
}
