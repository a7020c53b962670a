/**
 * What the benches share: the settings they open the services with.
 */
import { loadRuntimeSettings, modelSources } from '../src/config.ts';
import type { ModelSources } from '../src/core/models/cache.ts';
import type { ServiceOptions } from '../src/services/index.ts';

/** Where model files come from, as the settings say (bench/env.ts defaults the mirror to ../shared/data/models). */
export function benchModelSources(): ModelSources {
  return modelSources(loadRuntimeSettings());
}

/** openServices' options for a bench's scratch data folder: model files and the trainer's Python from the settings. */
export function benchServiceOptions(dataDir: string): ServiceOptions {
  const runtime = loadRuntimeSettings();
  return { dataDir, models: modelSources(runtime), trainerPython: runtime.python };
}
