/**
 * Imported first by the benches: defaults for settings (the model mirror, the logger's level, which
 * src/log.ts reads when it loads) must be in the environment before anything else is imported.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DATA = path.resolve(process.env.IDOLTAG_SHARED_DATA ?? path.join(root, '..', 'shared', 'data'));
process.env.IDOLTAG_MODEL_MIRROR ??= path.join(SHARED_DATA, 'models');
process.env.IDOLTAG_LOG_LEVEL ??= 'warn';
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
