import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRuntimeSettings, loadScheduleSettings, serviceOptions, SettingsError } from '../../src/config.ts';
import { ROOT } from '../helpers/paths.ts';

function problems(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    return error.message;
  }
  assert.fail('the settings were accepted');
}

describe('runtime settings', () => {
  it('have defaults for everything', () => {
    const runtime = loadRuntimeSettings({});
    assert.equal(runtime.dataDir, path.resolve('data'));
    assert.equal(runtime.logLevel, 'info');
    assert.equal(runtime.debug, false);
    assert.equal(runtime.offline, false);
    assert.equal(runtime.device, 'auto');
    assert.equal(runtime.threads, undefined);
    assert.equal(runtime.queueLimit, 50);
    assert.deepEqual(serviceOptions(runtime).embedder, { device: 'auto', threads: undefined });
  });

  it('read flags, numbers and folders', () => {
    const runtime = loadRuntimeSettings({
      IDOLTAG_OFFLINE: '1',
      IDOLTAG_DEBUG: 'false',
      IDOLTAG_THREADS: ' 2 ',
      IDOLTAG_DEVICE: 'cpu',
      IDOLTAG_MODEL_MIRROR: 'mirror',
      IDOLTAG_DETECTOR: 'faceboxes+lbp',
      IDOLTAG_QUEUE_LIMIT: '7',
      IDOLTAG_PYTHON: '/opt/torch/bin/python3',
    });
    assert.equal(runtime.offline, true);
    assert.equal(runtime.debug, false);
    assert.equal(runtime.threads, 2);
    assert.equal(runtime.modelMirror, path.resolve('mirror'));
    assert.deepEqual(serviceOptions(runtime), {
      dataDir: path.resolve('data'),
      detector: 'faceboxes+lbp',
      queueLimit: 7,
      embedder: { device: 'cpu', threads: 2 },
      models: { cacheDir: undefined, mirrorDir: path.resolve('mirror'), offline: true },
      trainerPython: '/opt/torch/bin/python3',
    });
  });

  it('read IDOLTAG_OFFLINE=0 (and false, no, off) as online', () => {
    for (const online of ['0', 'false', 'no', 'off']) {
      const runtime = loadRuntimeSettings({ IDOLTAG_OFFLINE: online });
      assert.equal(runtime.offline, false, online);
      assert.equal(serviceOptions(runtime).models.offline, false, online);
    }
  });

  it('name every bad value in one message', () => {
    const message = problems(() =>
      loadRuntimeSettings({
        IDOLTAG_DEVICE: 'gpu',
        IDOLTAG_THREADS: 'two',
        IDOLTAG_LOG_LEVEL: 'loud',
        IDOLTAG_OFFLINE: 'maybe',
        IDOLTAG_QUEUE_LIMIT: '0',
      }),
    );
    for (const name of [
      'IDOLTAG_DEVICE',
      'IDOLTAG_THREADS',
      'IDOLTAG_LOG_LEVEL',
      'IDOLTAG_OFFLINE',
      'IDOLTAG_QUEUE_LIMIT',
    ]) {
      assert.match(message, new RegExp(`- ${name} `), `${name} is named`);
    }
    assert.match(message, /IDOLTAG_DEVICE must be auto, cpu or cuda/);
  });
});

describe('schedule settings', () => {
  it('default to a nightly head refit and a weekly backbone try', () => {
    assert.deepEqual(loadScheduleSettings({}), {
      headCron: '30 4 * * *',
      backboneCron: '0 5 * * 0',
      timezone: undefined,
      backboneMinNewLabels: 200,
      backboneEpochs: undefined,
      device: 'auto',
    });
    assert.equal(loadScheduleSettings({ IDOLTAG_HEAD_CRON: 'off', IDOLTAG_CRON_TZ: 'Asia/Tokyo' }).headCron, 'off');
  });

  it('are checked with zod, each bad one named', () => {
    const message = problems(() =>
      loadScheduleSettings({
        IDOLTAG_HEAD_CRON: 'every night',
        IDOLTAG_CRON_TZ: 'Mars/Olympus_Mons',
        IDOLTAG_BACKBONE_MIN_NEW_LABELS: 'many',
        IDOLTAG_BACKBONE_EPOCHS: '-2',
        IDOLTAG_TRAIN_DEVICE: 'tpu',
      }),
    );
    assert.match(message, /IDOLTAG_HEAD_CRON must be a cron expression/);
    assert.match(message, /IDOLTAG_CRON_TZ must be an IANA time zone/);
    for (const name of ['IDOLTAG_BACKBONE_MIN_NEW_LABELS', 'IDOLTAG_BACKBONE_EPOCHS', 'IDOLTAG_TRAIN_DEVICE']) {
      assert.match(message, new RegExp(`- ${name} `));
    }
  });
});

describe('.env.example', () => {
  const documented = readFileSync(path.join(ROOT, '.env.example'), 'utf8');

  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
    });
  }

  it('lists every variable idoltag reads', () => {
    const names = new Set<string>();
    // Read as env.NAME anywhere, or declared as a key of a schema in src/config.ts.
    for (const file of [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'commands'))]) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\benv\.((?:IDOLTAG|DISCORD)_[A-Z0-9_]+)/g))
        names.add(match[1]);
    }
    for (const match of readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8').matchAll(
      /^\s+((?:IDOLTAG|DISCORD)_[A-Z0-9_]+):/gm,
    ))
      names.add(match[1]);
    assert.ok(names.has('IDOLTAG_HEAD_CRON') && names.has('DISCORD_TOKEN'), 'the scan finds the settings');
    const missing = [...names].filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(documented));
    assert.deepEqual(missing, []);
  });
});
