import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { manifestEmbedders, manifestVersionId, resolveVersionName } from '../../src/services/embedder-registry.ts';
import { runCli } from '../helpers/cli.ts';
import { labelledSubset } from '../helpers/labelled-subset.ts';
import { DATA, ROOT, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless, torch } from '../helpers/prerequisites.ts';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

function db(data: string) {
  return new Database(path.join(data, 'idoltag.sqlite'), { readonly: true });
}

const skip = skipUnless('backbone training', torch(), sharedData('newgame8'), mirroredModel('mobilenetv2_12_int8'));

describe('backbone training through the CLI', { skip }, () => {
  const data = tempDir();

  before(async () => {
    // 8 faces of each of newgame8's 8 characters: enough for held-out characters and test faces
    // (src/services/training-set.ts), and every pass over the faces stays short.
    const r = await runCli([
      '--data',
      data,
      'import',
      labelledSubset('newgame8', 8),
      '--crops',
      '--alias',
      'lijima_yun=iijima_yun',
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('trains real steps, checks parity and records a verdict; the old model serves until a swap', {
    timeout: 10 * 60_000,
  }, async () => {
    const r = await runCli([
      '--data',
      data,
      'train',
      'backbone',
      '--force',
      '--epochs',
      '1',
      '--max-steps',
      '2',
      '--device',
      'cpu',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^(activated|rejected): /m);
    const conn = db(data);
    const run = conn.prepare("SELECT * FROM training_runs WHERE kind = 'backbone' ORDER BY id DESC").get() as any;
    assert.ok(['succeeded', 'rejected'].includes(run.status), run.error);
    const metrics = JSON.parse(run.metrics_json);
    assert.ok(metrics.parity < 1e-3, 'onnxruntime-node agrees with the trainer');
    assert.ok(metrics.candidate.unseenFaces > 0 && metrics.candidate.testFaces > 0);
    const versions = conn.prepare('SELECT id, active FROM model_versions ORDER BY created_at').all() as any[];
    // Every embedder the manifest lists (ImageNet and the shipped ones), and the candidate.
    assert.deepEqual(
      versions.map((v) => v.id).sort(),
      [...manifestEmbedders().map(manifestVersionId), run.model_version].sort(),
    );
    const active = versions.find((v) => v.active);
    assert.equal(active.id, run.status === 'succeeded' ? run.model_version : resolveVersionName('default'));
    conn.close();
  });

  it('a training killed with SIGKILL leaves the old model serving and the database intact', {
    timeout: 10 * 60_000,
  }, async () => {
    const before = db(data);
    const activeBefore = (before.prepare('SELECT id FROM model_versions WHERE active = 1').get() as any).id;
    const taughtBefore = (before.prepare("SELECT COUNT(*) AS n FROM labels WHERE source = 'taught'").get() as any).n;
    before.close();
    const child = spawn(
      process.execPath,
      [
        tsxCli,
        path.join(ROOT, 'src/cli/main.ts'),
        '--data',
        data,
        'train',
        'backbone',
        '--force',
        '--epochs',
        '3',
        '--device',
        'cpu',
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, IDOLTAG_LOG_LEVEL: 'warn' },
      },
    );
    // Wait until the trainer process is really training, then kill the whole process group.
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr!.on('data', (d) => {
        err += d;
        if (/step \d+/.test(err)) resolve();
      });
      child.on('close', () => resolve());
    });
    const exited = new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
    );
    process.kill(-child.pid!, 'SIGKILL');
    // Reaped, not just signalled: until then the dead process still answers kill(pid, 0).
    await exited;
    await new Promise((r) => setTimeout(r, 500));

    const r = await runCli(['--data', data, 'model', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const conn = db(data);
    assert.equal((conn.pragma('integrity_check') as any[])[0].integrity_check, 'ok');
    assert.equal((conn.prepare('SELECT id FROM model_versions WHERE active = 1').get() as any).id, activeBefore);
    assert.equal(
      (conn.prepare("SELECT COUNT(*) AS n FROM labels WHERE source = 'taught'").get() as any).n,
      taughtBefore,
    );
    const last = conn
      .prepare("SELECT status, error FROM training_runs WHERE kind = 'backbone' ORDER BY id DESC")
      .get() as any;
    assert.deepEqual([last.status, last.error], ['failed', 'interrupted']);
    conn.close();
    const tagged = await runCli([
      '--data',
      data,
      'tag',
      path.join(DATA, 'newgame8', 'faces', 'ahagon_umiko', '0.jpg'),
      '--crops',
      '--json',
    ]);
    assert.equal(JSON.parse(tagged.stdout).error, null, 'still tags with the old model');
  });
});
