import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ModelUnavailableError,
  modelCacheDir,
  modelMirrorDir,
  registerDeriver,
  resolveDerived,
  sha256File,
} from '../models/cache.ts';
import { PROJECT_ROOT, getModel } from '../models/manifest.ts';

export const FACEBOXES_MODEL_ID = 'animefaceboxes_onnx';
export const FACEBOXES_DERIVER = 'faceboxes-onnx';

/** The python that exports the ONNX graph: IDOLTAG_PYTHON, else Debian's, else the one on PATH. */
export function exportPython(): string {
  if (process.env.IDOLTAG_PYTHON) return process.env.IDOLTAG_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function howToGetIt(target: string): string {
  const mirror = modelMirrorDir();
  return (
    'To get the FaceBoxes ONNX model, either install PyTorch for that python (pip install torch; ' +
    'or point IDOLTAG_PYTHON at a python that has it) so idoltag can export it from the ' +
    `animefaceboxes_pytorch weights, or put a pre-exported faceboxes.onnx at ${target} ` +
    `(with its sha256 in ${target}.sha256), or into the model mirror as ` +
    `${path.join(mirror ?? '$IDOLTAG_MODEL_MIRROR', FACEBOXES_MODEL_ID, 'faceboxes.onnx')}. ` +
    'To export it on another machine, run this in the idoltag folder: ' +
    'python3 -m trainer.faceboxes.export --weights FaceBoxes_epoch_90.pth --out faceboxes.onnx'
  );
}

function cachedTarget(): string {
  const model = getModel(FACEBOXES_MODEL_ID);
  return path.join(modelCacheDir(), model.id, model.files[0].name);
}

/** Runs `python -m trainer.faceboxes.export`; torch does the work. */
export async function exportFaceBoxesOnnx(weights: string, outPath: string): Promise<void> {
  const python = exportPython();
  const args = ['-m', 'trainer.faceboxes.export', '--weights', weights, '--out', outPath];
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', PYTHONDONTWRITEBYTECODE: '1' };
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(python, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(err));
    child.on('close', (code) => resolve({ code, output }));
  }).catch((err: Error) => {
    throw new ModelUnavailableError(`Could not run ${python} (${err.message}). ${howToGetIt(cachedTarget())}`);
  });
  if (code === 3 || /No module named '?torch'?/.test(output)) {
    throw new ModelUnavailableError(`${python} has no torch. ${howToGetIt(cachedTarget())}`);
  }
  if (code !== 0 || !existsSync(outPath)) {
    throw new Error(`FaceBoxes ONNX export failed (${python} exit ${code}): ${output.trim().slice(-2000)}`);
  }
}

/**
 * Writes a published copy of the ONNX file to `to`, when there is one: the mirror
 * (IDOLTAG_MODEL_MIRROR/<mirrorDir>/faceboxes.onnx) or a url given in the manifest (not with
 * IDOLTAG_OFFLINE). A copy is checked against the manifest's sha256 when it has one.
 */
async function copyPublished(to: string): Promise<boolean> {
  const model = getModel(FACEBOXES_MODEL_ID);
  const file = model.files[0];
  const mirror = modelMirrorDir();
  const sources: Array<(to: string) => Promise<void>> = [];
  if (mirror) {
    const mirrored = path.join(mirror, model.mirrorDir ?? model.id, file.name);
    if (existsSync(mirrored)) sources.push(async (dest) => copyFileSync(mirrored, dest));
  }
  if (file.url && !process.env.IDOLTAG_OFFLINE) {
    const url = file.url;
    sources.push(async (dest) => {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      writeFileSync(dest, Buffer.from(await res.arrayBuffer()));
    });
  }
  for (const get of sources) {
    try {
      await get(to);
      if (!file.sha256 || (await sha256File(to)) === file.sha256) return true;
    } catch {
      // try the next source
    }
    rmSync(to, { force: true });
  }
  return false;
}

// Also reached through resolveModelFile("animefaceboxes_onnx"): a published copy first, then torch.
registerDeriver(FACEBOXES_DERIVER, async (sourcePaths, outPath) => {
  if (!(await copyPublished(outPath))) await exportFaceBoxesOnnx(sourcePaths[0], outPath);
});

/**
 * Path of the FaceBoxes ONNX model: the cached file (models/cache/animefaceboxes_onnx/
 * faceboxes.onnx, or under IDOLTAG_MODEL_CACHE) while its hash matches its .sha256 record; else a
 * published copy; else exported from the PyTorch weights by the "faceboxes-onnx" deriver.
 */
export async function resolveFaceBoxesModel(): Promise<string> {
  const target = cachedTarget();
  // Before resolveDerived, which would first fetch the PyTorch weights that a copy does not need.
  if (!existsSync(target) || !existsSync(`${target}.sha256`)) {
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    if (await copyPublished(partial)) {
      renameSync(partial, target);
      writeFileSync(`${target}.sha256`, `${await sha256File(target)}\n`);
    }
    rmSync(partial, { force: true });
  }
  return resolveDerived(FACEBOXES_MODEL_ID);
}
