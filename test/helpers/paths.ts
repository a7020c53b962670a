import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real data sets, read in place and never copied into the repo. */
export const DATA = path.resolve(
  process.env.IDOLTAG_TEST_DATA ?? process.env.IDOLTAG_SHARED_DATA ?? path.join(ROOT, '..', 'shared', 'data'),
);

export function tempDir(prefix = 'idoltag-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
