/**
 * The settings of this test process, read the way the adapters read them (src/config.ts), for tests
 * that open the services or call core directly. run-tests.mjs sets the model mirror and IDOLTAG_OFFLINE.
 */
import { loadRuntimeSettings, modelSources } from '../../src/config.ts';
import type { ServiceOptions } from '../../src/services/index.ts';
import { pythonExecutable } from '../../src/services/trainer-process.ts';

const runtime = loadRuntimeSettings();

/** Where model files come from: the cache, the mirror, offline or not. */
export const MODEL_SOURCES = modelSources(runtime);

/** The Python with PyTorch (IDOLTAG_PYTHON, else the system's). */
export const PYTHON = pythonExecutable(runtime.python);

/** openServices' options for a test's data folder, with the model files and Python of the settings. */
export function serviceOptionsFor(dataDir: string, extra: Partial<ServiceOptions> = {}): ServiceOptions {
  return { dataDir, models: MODEL_SOURCES, trainerPython: runtime.python, ...extra };
}
