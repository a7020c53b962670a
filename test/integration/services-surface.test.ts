/**
 * The dependency rule at run time: the `Services` object the adapters get leads to no repository of
 * src/store, nor to the SQLite connection. The linter stops an adapter importing src/store; this stops
 * the object handed to it from carrying the store in (as `services.store` once did).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openServices, type Services } from '../../src/services/index.ts';
import { openStore } from '../../src/store/index.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

/** A repository, the store that lists them, or the better-sqlite3 connection under them. */
function isDatabaseAccess(value: object): boolean {
  const record = value as Record<string, unknown>;
  return (
    /Repository$/.test(value.constructor?.name ?? '') ||
    (typeof record.transaction === 'function' && 'images' in record && 'labels' in record) ||
    (typeof record.prepare === 'function' && typeof record.pragma === 'function')
  );
}

/** Every path of property names (own, enumerable, and Map entries) from `root` to database access. */
function databaseAccessFrom(root: object): string[] {
  const seen = new Set<object>();
  const found: string[] = [];
  const visit = (value: unknown, where: string) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    if (seen.has(value)) return;
    seen.add(value);
    if (isDatabaseAccess(value)) {
      found.push(where);
      return;
    }
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [key, child] of entries) visit(child, `${where}.${String(key)}`);
  };
  visit(root, 'services');
  return found;
}

describe('the Services object', {
  skip: skipUnless('the Services surface', sharedData('nagadomi10'), mirroredModel('lbpcascade_animeface')),
  timeout: 3 * 60_000,
}, () => {
  const dataDir = tempDir('idoltag-surface-');
  let services: Services;
  before(async () => {
    services = await openServices(serviceOptionsFor(dataDir));
    // Used once, so that what services load and cache on first use is there to be walked too.
    const crop = readFileSync(path.join(DATA, 'nagadomi10', 'faces', 'hatsune_miku', 'train_face_27_136_113.jpg'));
    await services.teaching.teach({
      guildId: 'g',
      character: 'hatsune_miku',
      by: 'test',
      crops: true,
      images: [{ bytes: crop, name: 'miku.jpg' }],
    });
    await services.tagging.tagImage({ guildId: 'g', bytes: crop, source: { kind: 'file', path: 'miku.jpg' } });
    await services.stats('g');
  });
  after(async () => services?.close());

  it('carries no store', () => {
    assert.equal('store' in services, false);
  });

  it('leads an adapter to no repository and no SQLite connection, through any property', () => {
    assert.deepEqual(databaseAccessFrom(services), []);
  });

  it('would be caught handing one out', () => {
    const store = openStore(dataDir);
    try {
      const leaky = { ...services, tagging: { ...services.tagging, labels: store.labels }, store };
      assert.deepEqual(databaseAccessFrom(leaky).sort(), ['services.store', 'services.tagging.labels']);
    } finally {
      store.close();
    }
  });
});
