// Ships a trained embedder: copies a trainer staging folder into models/<id>/, strips machine paths
// from its JSON files, and writes its manifest entry (sha256 of every file) as the default embedder.
//   npx tsx scripts/ship-embedder.ts <staging-dir> [--id idoltag_idols_v5]
// or trains it first (python3 -m trainer build-default, see trainer/README.md), all in one command:
//   npx tsx scripts/ship-embedder.ts --snapshot cgss-checker --snapshot cgss-ssr --work cgss-work
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRuntimeSettings } from '../src/config.ts';
import { sha256File } from '../src/core/models/cache.ts';
import { MANIFEST_PATH, PROJECT_ROOT } from '../src/core/models/manifest.ts';
import { pythonExecutable } from '../src/services/trainer-process.ts';

const python = pythonExecutable(loadRuntimeSettings().python);

const NOTICE = `This folder holds idoltag's own idol-face embedder (model card: docs/models.md).

It is MobileNetV2 with the ImageNet weights of the ONNX Model Zoo's mobilenetv2-12-int8.onnx
(github.com/onnx/models, Apache-2.0), de-quantised by trainer/dequantize.py and fine-tuned by
\`python3 -m trainer build-default\` (three seeded runs, each the mean of its late-epoch weights, then the three averaged) on THE iDOLM@STER Cinderella Girls card icons of
github.com/mufgmixi/cgss-checker (commit 76db435b) and github.com/hatoba29/cgss-ssr-checker (commit
cd7dd92d), and on the training split of nagadomi's AnimeFace Character Dataset faces of 10 characters
(github.com/jonathonyan/Anime-Face-Detection-and-Recognition, commit c4b91411). Those images carry
no licence: they were used as training data only, and no image or crop of them is included here. The model is licensed under the Apache License 2.0 (LICENSE beside this
file), like the weights it starts from.
`;

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
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutMachinePaths(v)]));
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const valuesOf = (flag: string) => args.flatMap((a, i) => (a === flag && args[i + 1] ? [args[i + 1]] : []));
  const id = valuesOf('--id')[0] ?? 'idoltag_idols_v5';
  const snapshots = valuesOf('--snapshot');
  let staging = args[0]?.startsWith('--') ? undefined : args[0];
  if (snapshots.length > 0) {
    const work = path.resolve(valuesOf('--work')[0] ?? 'cgss-work');
    staging = path.join(work, 'embedder');
    const build = [
      '-m',
      'trainer',
      'build-default',
      ...snapshots.flatMap((s) => ['--snapshot', path.resolve(s)]),
      '--work',
      work,
      '--out',
      staging,
    ];
    const r = spawnSync(python, build, {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    });
    if (r.status !== 0) throw new Error(`python3 -m trainer build-default failed (exit ${r.status})`);
  }
  if (!staging)
    throw new Error(
      'usage: npx tsx scripts/ship-embedder.ts <staging-dir> | --snapshot DIR [--snapshot DIR] [--work DIR]  [--id <model id>]',
    );
  const dir = path.join(PROJECT_ROOT, 'models', id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of FILES) {
    const from = path.join(staging, name);
    if (name.endsWith('.json')) {
      writeFileSync(
        path.join(dir, name),
        `${JSON.stringify(withoutMachinePaths(JSON.parse(readFileSync(from, 'utf8'))), null, name === 'samples.json' ? 0 : 2)}\n`,
      );
    } else if (name === 'checkpoint.pt') {
      const r = spawnSync(python, ['-c', SCRUB_CHECKPOINT, from, path.join(dir, name)], {
        encoding: 'utf8',
        env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
      });
      if (r.status !== 0) throw new Error(`could not rewrite checkpoint.pt: ${r.stderr}`);
    } else {
      copyFileSync(from, path.join(dir, name));
    }
    if (MACHINE_PATH.test(readFileSync(path.join(dir, name)).toString('latin1'))) {
      throw new Error(`${name} still names a folder of the machine it was trained on; strip it before shipping`);
    }
  }
  copyFileSync(path.join(PROJECT_ROOT, 'models', 'animefaceboxes_onnx', 'LICENSE'), path.join(dir, 'LICENSE'));
  writeFileSync(path.join(dir, 'NOTICE'), NOTICE);
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
    licence: 'Apache-2.0',
    shipped: `models/${id}`,
    madeBy: 'python3 -m trainer train (recipe and data in docs/models.md)',
    default: true,
    files,
    input: modelJson.input,
    output: modelJson.output,
  };
  const others = manifest.models
    .filter((m) => m.id !== id)
    .map((m) => {
      const { default: _wasDefault, ...rest } = m;
      return rest;
    });
  manifest.models = [...others, entry];
  writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(
    `Shipped ${id} (${files.map((f) => `${f.name} ${f.sha256.slice(0, 8)}`).join(', ')}) as the default embedder.`,
  );
}

await main();
