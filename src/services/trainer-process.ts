import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../core/models/manifest.ts';

/** One JSON line of the trainer's progress protocol (trainer/README.md). */
export interface TrainerEvent {
  event: 'start' | 'baseline' | 'step' | 'epoch' | 'done' | 'error' | string;
  [key: string]: unknown;
}

/** Debian's torch lives under /usr/bin/python3; users may point IDOLTAG_PYTHON at their own. */
export function pythonExecutable(): string {
  return process.env.IDOLTAG_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/**
 * Runs `python -m trainer <args>` as its own process and streams its events. Resolves with the
 * `done` event; rejects with the trainer's own error message.
 */
export function runTrainer(args: string[], onEvent?: (e: TrainerEvent) => void, signal?: AbortSignal): Promise<TrainerEvent> {
  return new Promise((resolve, reject) => {
    const child = spawn(pythonExecutable(), ['-m', 'trainer', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let done: TrainerEvent | undefined;
    let error: string | undefined;
    let stderrTail = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: TrainerEvent;
      try {
        event = JSON.parse(line) as TrainerEvent;
      } catch {
        return;
      }
      if (event.event === 'done') done = event;
      if (event.event === 'error') error = String(event.message);
      onEvent?.(event);
    });
    child.stderr.on('data', (d) => (stderrTail = (stderrTail + d).slice(-2000)));
    child.on('error', (err) => reject(new Error(`Could not start the trainer (${pythonExecutable()}): ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0 && done) resolve(done);
      else reject(new Error(error ?? `trainer exited with code ${code}: ${stderrTail.trim().split('\n').pop() ?? ''}`));
    });
  });
}
