import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ort } from '../onnx-runtime.ts';

/**
 * The CUDA provider ships as a separate library that only a CUDA install of onnxruntime-node
 * (ONNXRUNTIME_NODE_INSTALL=cuda12) brings; without it, asking for CUDA prints a native error.
 */
function cudaProviderInstalled(): boolean {
  try {
    const binDir = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    const stack = [binDir];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) stack.push(path.join(dir, entry.name));
        else if (entry.name.startsWith('libonnxruntime_providers_cuda')) return true;
      }
    }
  } catch {
    // fall through: treat as absent
  }
  return false;
}

export interface SessionOptions {
  /** 'auto' tries CUDA first and falls back to the CPU. */
  device?: 'auto' | 'cuda' | 'cpu';
  intraOpThreads?: number;
  /** Told once per process which provider serves (core has no logger of its own). */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

let providerLogged = false;

/**
 * Asking onnxruntime-node for ['cuda', 'cpu'] throws where CUDA is absent instead of falling back,
 * so each provider is tried on its own.
 */
export async function createSession(
  modelPath: string,
  options: SessionOptions = {},
): Promise<{ session: ort.InferenceSession; provider: string }> {
  // IDOLTAG_DEVICE and IDOLTAG_THREADS arrive here through the adapters (src/config.ts).
  const device = options.device ?? 'auto';
  const threads = options.intraOpThreads;
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
    // Spinning pool threads hold a core between runs that decoding, the detector and the other
    // shard process need: with the default pool, spinning cost about 1.5x the CPU per screenshot
    // for fewer screenshots per second (bench/load.ts).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const attempts =
    device === 'cpu' ? ['cpu'] : device === 'cuda' ? ['cuda'] : cudaProviderInstalled() ? ['cuda', 'cpu'] : ['cpu'];
  let lastError: unknown;
  for (const provider of attempts) {
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: [provider] });
      if (!providerLogged && options.log) {
        options.log('onnxruntime execution provider', { provider, threads: threads ?? 'default' });
        providerLogged = true;
      }
      return { session, provider };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`Could not start onnxruntime for ${modelPath}: ${(lastError as Error)?.message}`);
}
