/** Writes a derived model file at `outPath` from the resolved files of its source model. */
export type ModelMaker = (sourcePaths: string[], outPath: string) => Promise<void>;

/**
 * How each derived model of the manifest is made, by model id. Each maker is imported only when a
 * model has to be built, so resolving a model never depends on which modules were loaded before.
 */
const MAKERS: Record<string, () => Promise<ModelMaker>> = {
  mobilenetv2_pool: async () => (await import('../embed/derive-pooled.ts')).exposePooledFeatures,
};

export function hasMaker(modelId: string): boolean {
  return Object.hasOwn(MAKERS, modelId);
}

export async function makerFor(modelId: string): Promise<ModelMaker> {
  const load = MAKERS[modelId];
  if (!load)
    throw new Error(
      `Model "${modelId}" is derived in models/manifest.json, but src/core/models/makers.ts has no maker for it`,
    );
  return load();
}
