// Ships a trained embedder: copies a trainer staging folder into models/<id>/, strips machine paths
// from its JSON files, and writes its manifest entry (sha256 of every file) as the default embedder.
//   npx tsx scripts/ship-embedder.ts <staging-dir> [--id idoltag_idols_v1]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../src/core/models/cache.ts';
import { MANIFEST_PATH, PROJECT_ROOT } from '../src/core/models/manifest.ts';
import { pythonExecutable } from '../src/services/trainer-process.ts';

/** The same for the checkpoint's own fields (torch pickle; the weights are left alone). */
const SCRUB_CHECKPOINT = `
import os, sys, torch
def scrub(v):
    if isinstance(v, str) and os.path.isabs(v): return os.path.basename(v)
    if isinstance(v, dict): return {k: (x if k == "state_dict" else scrub(x)) for k, x in v.items()}
    if isinstance(v, list): return [scrub(x) for x in v]
    return v
torch.save(scrub(torch.load(sys.argv[1], map_location="cpu")), sys.argv[2])
`;

const FILES = ['model.onnx', 'model.json', 'checkpoint.pt', 'metrics.json', 'samples.json'];
/** Starts of paths that only exist on the machine a model was trained on. */
const MACHINE_PATH = /\/(work|root|home|tmp|Users|mnt|var)\/[\w.-]/;

function withoutMachinePaths(value: unknown): unknown {
  if (typeof value === 'string') return path.isAbsolute(value) ? path.basename(value) : value;
  if (Array.isArray(value)) return value.map(withoutMachinePaths);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutMachinePaths(v)]));
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const staging = args[0];
  const idAt = args.indexOf('--id');
  const id = idAt >= 0 ? args[idAt + 1] : 'idoltag_idols_v1';
  if (!staging) throw new Error('usage: npx tsx scripts/ship-embedder.ts <staging-dir> [--id <model id>]');
  const dir = path.join(PROJECT_ROOT, 'models', id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of FILES) {
    const from = path.join(staging, name);
    if (name.endsWith('.json')) {
      writeFileSync(path.join(dir, name), `${JSON.stringify(withoutMachinePaths(JSON.parse(readFileSync(from, 'utf8'))), null, name === 'samples.json' ? 0 : 2)}\n`);
    } else if (name === 'checkpoint.pt') {
      const r = spawnSync(pythonExecutable(), ['-c', SCRUB_CHECKPOINT, from, path.join(dir, name)], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
      if (r.status !== 0) throw new Error(`could not rewrite checkpoint.pt: ${r.stderr}`);
    } else {
      copyFileSync(from, path.join(dir, name));
    }
    if (MACHINE_PATH.test(readFileSync(path.join(dir, name)).toString('latin1'))) {
      throw new Error(`${name} still names a folder of the machine it was trained on; strip it before shipping`);
    }
  }
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const files = [];
  for (const name of FILES) {
    const full = path.join(dir, name);
    files.push({ name, sha256: await sha256File(full), bytes: readFileSync(full).length });
  }
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { models: Array<Record<string, unknown>> };
  const entry = {
    id,
    kind: 'embedder',
    licence: 'MIT (trained by idoltag from ImageNet MobileNetV2, Apache-2.0; see docs/models.md)',
    shipped: `models/${id}`,
    madeBy: 'python3 -m trainer train (recipe and data in docs/models.md)',
    default: true,
    files,
    input: modelJson.input,
    output: modelJson.output,
  };
  const others = manifest.models.filter((m) => m.id !== id).map((m) => {
    const { default: _wasDefault, ...rest } = m;
    return rest;
  });
  manifest.models = [...others, entry];
  writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`Shipped ${id} (${files.map((f) => `${f.name} ${f.sha256.slice(0, 8)}`).join(', ')}) as the default embedder.`);
}

await main();
