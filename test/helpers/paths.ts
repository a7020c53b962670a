import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real data sets, read in place and never copied into the repo. */
export const DATA = path.resolve(
  process.env.IDOLTAG_TEST_DATA ?? process.env.IDOLTAG_SHARED_DATA ?? path.join(ROOT, '..', 'shared', 'data'),
);

const made: string[] = [];
let cleanupHooked = false;

/**
 * A fresh folder under the system temp dir, removed when the test file's process exits (each test
 * file runs in its own process). IDOLTAG_KEEP_TEST_DIRS=1 keeps them for a post-mortem.
 */
export function tempDir(prefix = 'idoltag-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  if (!cleanupHooked && process.env.IDOLTAG_KEEP_TEST_DIRS !== '1') {
    cleanupHooked = true;
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
