// Placeholder replaced by the source adapters (branch pack-sources).
export async function listSource(pack: string, _dirs: string[]): Promise<never> {
  throw new Error(`unknown pack source ${pack}`);
}
