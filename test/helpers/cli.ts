import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './paths.ts';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Waits for a child process to end and collects what it printed. */
export function finished(child: ChildProcess): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the real CLI in a child process and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return finished(
    spawn(process.execPath, [tsxCli, path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, IDOLTAG_LOG_LEVEL: 'warn', ...env },
    }),
  );
}

export function jsonLines<T = any>(stdout: string): T[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
