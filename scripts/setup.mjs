#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale, and the
// CUDA build of onnxruntime when ONNXRUNTIME_NODE_INSTALL asks for it. Run by the npm scripts and by
// bin/idoltag.js (`npx idoltag`), so every documented command works on a fresh clone.
// Plain JavaScript on purpose: it runs before tsx exists. npm's own output goes to stderr, so that the
// first `idoltag tag --json` of a fresh clone still prints nothing but JSON.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.package-lock.json');

function cudaLibraryPresent(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory()
      ? cudaLibraryPresent(path.join(dir, entry.name))
      : entry.name.startsWith('libonnxruntime_providers_cuda'),
  );
}

/** Installs what is missing; 0 when the clone is ready to run, else npm's exit status. */
export function setUp() {
  // onnxruntime-node's postinstall would download its CUDA libraries (hundreds of MB, online only).
  // package.json's allowScripts denies it on npm ≥ 11; the variable covers older npm too.
  const gpuFlavour = process.env.ONNXRUNTIME_NODE_INSTALL;
  const installEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: gpuFlavour ?? 'skip' };

  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
  if (stale) {
    console.error('[setup] installing npm dependencies…');
    // With the lockfile every package is pinned by version and integrity, so a copy in npm's cache is the
    // right one: --prefer-offline takes it without asking the registry again (npm still fetches what the
    // cache lacks). Without a lockfile the registry is asked, so ranges resolve to what is current.
    const args = existsSync(lock)
      ? ['ci', '--prefer-offline', '--no-audit', '--no-fund']
      : ['install', '--no-audit', '--no-fund'];
    const r = spawnSync('npm', args, { cwd: root, stdio: ['inherit', 2, 2], env: installEnv });
    if (r.status !== 0) {
      console.error('[setup] npm install failed');
      return r.status ?? 1;
    }
  }

  // GPU users opt in with ONNXRUNTIME_NODE_INSTALL=cuda12: run onnxruntime-node's own installer once.
  const ortDir = path.join(root, 'node_modules', 'onnxruntime-node');
  if (gpuFlavour && gpuFlavour !== 'skip' && existsSync(ortDir) && !cudaLibraryPresent(path.join(ortDir, 'bin'))) {
    console.error(`[setup] installing onnxruntime-node's ${gpuFlavour} libraries…`);
    const r = spawnSync(process.execPath, [path.join(ortDir, 'script', 'install.js')], {
      cwd: ortDir,
      stdio: ['inherit', 2, 2],
      env: installEnv,
    });
    if (r.status !== 0) {
      console.error(`[setup] installing the ${gpuFlavour} libraries failed`);
      return r.status ?? 1;
    }
  }
  return 0;
}

// Run as a script (`node scripts/setup.mjs`), not imported by bin/idoltag.js; realpath, as a checkout may sit
// behind a symbolic link.
const isMain = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) process.exitCode = setUp();
