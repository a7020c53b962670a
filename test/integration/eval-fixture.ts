/**
 * Small real fixtures for the evaluation tests, written as labels CSVs that point at
 * ../shared/data (absolute paths; nothing is copied, see PROVENANCE.md there).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../src/core/labelled-files.ts';
import { DATA } from '../helpers/paths.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DATA = DATA;
export const MODEL_MIRROR = process.env.IDOLTAG_MODEL_MIRROR ?? path.join(SHARED_DATA, 'models');

export interface Row {
  path: string;
  label: string;
  split?: string;
}

/** Rows of a shared set, absolute paths, sorted by path within each label. */
export function rows(set: string): Row[] {
  return parseCsv(readFileSync(path.join(SHARED_DATA, set, 'labels.csv'), 'utf8'))
    .map((r) => ({ path: path.join(SHARED_DATA, set, r.path), label: r.label, split: r.orig_split }))
    .sort((a, b) => a.label.localeCompare(b.label) || a.path.localeCompare(b.path));
}

/** `train` + `test` crops of each label, keeping the source's split. */
export function pick(set: string, labels: string[], train: number, test: number): Row[] {
  const all = rows(set);
  return labels.flatMap((label) => [
    ...all.filter((r) => r.label === label && r.split === 'train').slice(0, train),
    ...all.filter((r) => r.label === label && r.split === 'test').slice(0, test),
  ]);
}

export function writeCsv(file: string, list: Row[], withSplit = true): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = withSplit ? 'path,label,split' : 'path,label';
  const lines = list.map((r) => [r.path, r.label, ...(withSplit ? [r.split ?? ''] : [])].map(quote).join(','));
  writeFileSync(file, `${[header, ...lines].join('\n')}\n`);
  return file;
}

/** Runs the CLI (through tsx) and returns its output; throws with the output on failure. */
export async function idoltag(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        IDOLTAG_MODEL_MIRROR: MODEL_MIRROR,
        IDOLTAG_LOG_LEVEL: 'warn',
        OMP_WAIT_POLICY: 'PASSIVE',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`idoltag ${args.join(' ')} exited ${code}\n${stdout}\n${stderr}`)),
    );
  });
}
