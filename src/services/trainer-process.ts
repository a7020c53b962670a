import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../core/models/manifest.ts';

/** One JSON line of the trainer's progress protocol (trainer/README.md). */
export interface TrainerEvent {
  event: 'start' | 'baseline' | 'step' | 'epoch' | 'done' | 'error' | string;
  [key: string]: unknown;
}

/** The Python of the settings (IDOLTAG_PYTHON), else Debian's, whose torch lives under /usr/bin/python3. */
export function pythonExecutable(configured?: string): string {
  return configured ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Embedder training is the one feature that needs Python with PyTorch; the rest of idoltag runs on Node alone. */
export class TrainerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerUnavailableError';
  }
}

export const TORCH_INSTALL_HINT =
  'install it with "pip install torch torchvision onnx" (on Debian: "apt-get install python3-torch python3-torchvision python3-onnx"), or point IDOLTAG_PYTHON at a Python that has it';

/** Checks, before a training starts, that the trainer's Python can import what it needs; says what is missing in one sentence. */
export function checkTrainerPython(python: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', 'import torch, torchvision, onnx'], {
      env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const unavailable = (what: string) =>
      new TrainerUnavailableError(`Embedder training needs Python 3 with PyTorch, but ${what}: ${TORCH_INSTALL_HINT}.`);
    child.on('error', () => reject(unavailable(`the Python at ${python} could not be started`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const missing = /No module named '?([\w.]+)'?/.exec(stderr)?.[1];
      reject(
        unavailable(missing ? `${python} has no ${missing.split('.')[0]} module` : `${python} could not import torch`),
      );
    });
  });
}

/**
 * Runs `python -m trainer <args>` as its own process and streams its events. Resolves with the
 * `done` event; rejects with the trainer's own error message.
 */
export function runTrainer(
  python: string,
  args: string[],
  onEvent?: (e: TrainerEvent) => void,
  signal?: AbortSignal,
): Promise<TrainerEvent> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'trainer', ...args], {
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
    child.on('error', (err) => reject(new Error(`Could not start the trainer (${python}): ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0 && done) resolve(done);
      else reject(new Error(error ?? `trainer exited with code ${code}: ${stderrTail.trim().split('\n').pop() ?? ''}`));
    });
  });
}
