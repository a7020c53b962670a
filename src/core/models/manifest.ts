import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { z } from 'zod';

const fileSchema = z.object({
  name: z.string(),
  url: z.string().url().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  bytes: z.number().int().positive().optional(),
});

const modelSchema = z.object({
  id: z.string(),
  kind: z.enum(['detector', 'detector-source', 'embedder', 'embedder-source', 'roster-pack']),
  licence: z.string(),
  mirrorDir: z.string().optional(),
  /** Shipped in the repository: the folder (relative to the project root) holding its files. */
  shipped: z.string().optional(),
  /** How a shipped file was made, for the record (it is never rebuilt at run time). */
  madeBy: z.string().optional(),
  /** The embedder a new data folder starts on (at most one). */
  default: z.boolean().optional(),
  /** Built at run time by the maker of src/core/models/makers.ts from this source model. */
  derivedFrom: z.string().optional(),
  derive: z.string().optional(),
  files: z.array(fileSchema).min(1),
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.record(z.string(), z.unknown()).optional(),
});

export type ModelEntry = z.infer<typeof modelSchema>;
export type ModelFile = z.infer<typeof fileSchema>;

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MANIFEST_PATH = path.join(PROJECT_ROOT, 'models', 'manifest.json');

let cached: ModelEntry[] | undefined;

export function loadManifest(): ModelEntry[] {
  if (!cached) {
    const raw = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { models: unknown };
    cached = z.array(modelSchema).parse(raw.models);
  }
  return cached;
}

export function getModel(id: string): ModelEntry {
  const entry = loadManifest().find((m) => m.id === id);
  if (!entry) throw new Error(`Unknown model "${id}" (not in models/manifest.json)`);
  return entry;
}
