import * as ort from 'onnxruntime-node';
import { logger } from '../../log.ts';

export interface SessionOptions {
  /** 'auto' tries CUDA first and falls back to the CPU. */
  device?: 'auto' | 'cuda' | 'cpu';
  intraOpThreads?: number;
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
  const device = options.device ?? (process.env.IDOLTAG_DEVICE as SessionOptions['device']) ?? 'auto';
  const threads = options.intraOpThreads ?? (Number(process.env.IDOLTAG_THREADS) || undefined);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
  const attempts = device === 'cpu' ? ['cpu'] : device === 'cuda' ? ['cuda'] : ['cuda', 'cpu'];
  let lastError: unknown;
  for (const provider of attempts) {
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: [provider] });
      if (!providerLogged) {
        logger.info({ provider, threads: threads ?? 'default' }, 'onnxruntime execution provider');
        providerLogged = true;
      }
      return { session, provider };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`Could not start onnxruntime for ${modelPath}: ${(lastError as Error)?.message}`);
}
