/**
 * Settings are read only in src/config.ts (scripts/lint-settings.mjs, run by `npm run lint`): the check
 * runs on small trees written to a temp folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../helpers/paths.ts';

function checkTree(files: Record<string, string>): { status: number | null; output: string } {
  const dir = tempDir('idoltag-settings-lint-');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'lint-settings.mjs'), dir], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const CONFIG = 'export const offline = process.env.IDOLTAG_OFFLINE === "1";\n';

describe('settings read in one place', () => {
  it('passes a tree where only src/config.ts reads IDOLTAG_* variables', () => {
    const r = checkTree({
      'src/config.ts': CONFIG,
      'src/core/models/cache.ts':
        'export const fetchModel = (offline: boolean) => (offline ? "mirror" : "upstream");\n',
      'src/discord/bot.ts': 'export const managed = Boolean(process.env.SHARDING_MANAGER);\n',
    });
    assert.equal(r.status, 0, r.output);
  });

  it('fails a core module, a service and a command that read IDOLTAG_* from process.env', () => {
    const r = checkTree({
      'src/config.ts': CONFIG,
      'src/core/models/cache.ts': 'export const offline = () => !!process.env.IDOLTAG_OFFLINE;\n',
      'src/services/trainer.ts': "\nexport const python = process.env['IDOLTAG_PYTHON'] ?? 'python3';\n",
      'commands/stats.ts': 'const { IDOLTAG_QUEUE_LIMIT } = process.env;\nexport const limit = IDOLTAG_QUEUE_LIMIT;\n',
    });
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /src\/core\/models\/cache\.ts:1 reads IDOLTAG_OFFLINE/);
    assert.match(r.output, /src\/services\/trainer\.ts:2 reads IDOLTAG_PYTHON/);
    assert.match(r.output, /commands\/stats\.ts:1 reads IDOLTAG_QUEUE_LIMIT/);
    assert.doesNotMatch(r.output, /src\/config\.ts:/);
  });
});
