/**
 * SIGTERM / SIGINT for the CLI. Commands that work through a list of files (import, tag, sort) ask
 * for a graceful stop: the first signal lets the current file finish, everything so far stays
 * committed, the database is closed, and the process exits with 128 + the signal number. A second
 * signal, or a signal during any other command, exits at once (SQLite's journal keeps the
 * database consistent either way; only the file in progress is lost).
 */
import { constants } from 'node:os';

const controller = new AbortController();
let graceful = false;
let installed = false;

function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (!graceful || controller.signal.aborted) {
        process.stderr.write(`idoltag: ${signal}, stopping now\n`);
        process.exit(exitCodeFor(signal));
      }
      process.stderr.write(
        `idoltag: ${signal}, finishing the current file, then saving and closing (send it again to stop at once)\n`,
      );
      process.exitCode = exitCodeFor(signal);
      controller.abort(signal);
    });
  }
}

/**
 * Called by a command that checks `signal.aborted` between units of work; from then on the first
 * SIGTERM/SIGINT asks it to stop instead of ending the process.
 */
export function gracefulStop(): AbortSignal {
  graceful = true;
  return controller.signal;
}

/** "Stopped by SIGTERM after 12 of 40 files; …" when a stop was asked for, else undefined. */
export function stoppedNote(done: number, total: number, noun = 'files'): string | undefined {
  if (!controller.signal.aborted) return undefined;
  return `Stopped by ${String(controller.signal.reason)} after ${done} of ${total} ${noun}; everything before that is saved.`;
}
