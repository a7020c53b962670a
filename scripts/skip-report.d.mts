export const SKIP_LOG_VARIABLE: 'IDOLTAG_TEST_SKIP_LOG';
export interface Skip {
  /** The check that did not run, as a reader knows it. */
  check: string;
  /** What the machine lacks, in words a reader can act on. */
  missing: string[];
  /** Debian packages that bring it in. */
  apt?: string[];
  /** What to do when no package does. */
  hint?: string;
}
export function inCi(env?: NodeJS.ProcessEnv): boolean;
export function openSkipLog(env?: NodeJS.ProcessEnv): string | undefined;
export function recordSkip(skip: Skip, env?: NodeJS.ProcessEnv): void;
export function skipSummary(skips: Skip[]): string | undefined;
export function closeSkipLog(log: string | undefined): void;
