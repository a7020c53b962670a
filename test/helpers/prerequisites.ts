/**
 * What a test needs from the machine (data sets, PyTorch, model files), checked in one way.
 *
 * Outside CI a missing prerequisite skips the test and says why on stderr. In CI (`CI` set and not
 * "false"/"0") it fails the run instead, naming what is missing: a suite that skipped its real
 * checks must never read as green.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { inCi, recordSkip } from '../../scripts/skip-report.mjs';
import { DATA } from './paths.ts';
import { PYTHON } from './settings.ts';

export { inCi };

export interface Prerequisite {
  /** What is needed, in words a reader can act on. */
  what: string;
  present: boolean;
  /** Debian packages that bring it in, for the run's closing summary. */
  apt?: string[];
  /** What to do when no package brings it in. */
  hint?: string;
}

/** A data set under ../shared/data (or IDOLTAG_TEST_DATA), recognised by a file inside it. */
export function sharedData(set: string, file = 'labels.csv'): Prerequisite {
  const where = path.join(DATA, set, file);
  return {
    what: `the ${set} data set (${where}; see ../shared/data/PROVENANCE.md)`,
    present: existsSync(where),
    hint: 'put the shared data sets in ../shared/data beside the checkout (or set IDOLTAG_TEST_DATA)',
  };
}

/** The upstream model files of one manifest entry in the mirror (IDOLTAG_MODEL_MIRROR or ../shared/data/models). */
export function mirroredModel(mirrorDir: string): Prerequisite {
  const mirror = process.env.IDOLTAG_MODEL_MIRROR ?? path.join(DATA, 'models');
  const where = path.join(mirror, mirrorDir);
  return {
    what: `the model mirror folder ${where} (set IDOLTAG_MODEL_MIRROR)`,
    present: existsSync(where),
    hint: 'set IDOLTAG_MODEL_MIRROR to a folder that mirrors the upstream models',
  };
}

let torchPresent: boolean | undefined;
/** PyTorch, torchvision and onnx in the python idoltag runs (IDOLTAG_PYTHON or Debian's). */
export function torch(): Prerequisite {
  const python = PYTHON;
  torchPresent ??=
    spawnSync(python, ['-c', 'import torch, torchvision, onnx'], {
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    }).status === 0;
  return {
    what: `PyTorch, torchvision and onnx for ${python} (Debian: apt-get install python3-torch python3-torchvision python3-onnx)`,
    present: torchPresent,
    apt: ['python3-torch', 'python3-torchvision', 'python3-onnx'],
  };
}

export class MissingPrerequisiteError extends Error {}

/**
 * Reports what is missing for `testName`: throws in CI, prints the reasons otherwise. Returns the
 * `skip` value for node:test (false when nothing is missing).
 */
export function reportMissing(
  testName: string,
  missing: string[],
  bringIn: Pick<Prerequisite, 'apt' | 'hint'> = {},
): false | string {
  if (missing.length === 0) return false;
  const reason = `needs ${missing.join('; and ')}`;
  if (inCi()) throw new MissingPrerequisiteError(`${testName}: a prerequisite is missing in CI: ${reason}`);
  console.error(`[skip] ${testName}: ${reason}`);
  recordSkip({ check: testName, missing, ...bringIn });
  return reason;
}

/**
 * The `skip` option for a test or suite that needs `prerequisites`: false when all are present.
 * Throws in CI when one is missing, so the file fails with the reason instead of skipping.
 */
export function skipUnless(testName: string, ...prerequisites: Prerequisite[]): false | string {
  const missing = prerequisites.filter((p) => !p.present);
  return reportMissing(
    testName,
    missing.map((p) => p.what),
    {
      apt: missing.flatMap((p) => p.apt ?? []),
      hint: [...new Set(missing.flatMap((p) => p.hint ?? []))].join('; ') || undefined,
    },
  );
}

/**
 * The reasons of the tests Python's unittest skipped (from `-v` output on stderr), counted:
 * `OK (skipped=N)` alone reads as success.
 */
export function pythonSkips(unittestStderr: string): string[] {
  const counts = new Map<string, number>();
  for (const match of unittestStderr.matchAll(/\.\.\. skipped '(.*)'$/gm))
    counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${reason} (${n} Python test${n === 1 ? '' : 's'} skipped)`);
}
