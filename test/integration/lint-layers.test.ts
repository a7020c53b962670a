/**
 * The dependency rule (.dependency-cruiser.cjs, run by `npm run lint`) really fails a layer breach:
 * the checker runs with the project's own config on small trees written to a temp folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../helpers/paths.ts';

const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const TSCONFIG = {
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true },
};

function checkTree(files: Record<string, string>): { status: number | null; output: string } {
  const dir = tempDir('idoltag-layers-');
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const topFolders = [...new Set(Object.keys(files).map((file) => file.split('/')[0]))];
  const r = spawnSync(
    process.execPath,
    [DEPCRUISE, ...topFolders, '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'],
    { cwd: dir, encoding: 'utf8' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('dependency rule', () => {
  it('passes a tree that keeps the layers', { timeout: 60_000 }, () => {
    const r = checkTree({
      'src/core/face.ts': "import { side } from './box.ts';\nexport const face = side;\n",
      'src/core/box.ts': 'export const side = 1;\n',
      'src/discord/reply.ts': "import { face } from '../core/face.ts';\nexport const reply = face;\n",
      'commands/tag.ts': "import { reply } from '../src/discord/reply.ts';\nexport const tag = reply;\n",
    });
    assert.equal(r.status, 0, r.output);
  });

  it('fails a core file that imports from src/discord', { timeout: 60_000 }, () => {
    const r = checkTree({
      'src/core/face.ts': "import { reply } from '../discord/reply.ts';\nexport const face = reply;\n",
      'src/discord/reply.ts': 'export const reply = 1;\n',
    });
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /core-is-pure: src\/core\/face\.ts → src\/discord\/reply\.ts/);
  });

  it('fails an adapter (the CLI, the bot, the schedules) that imports src/store', { timeout: 60_000 }, () => {
    const r = checkTree({
      'src/store/index.ts': 'export const openStore = () => ({});\n',
      'src/cli/admin.ts': "import { openStore } from '../store/index.ts';\nexport const admin = openStore;\n",
      'src/discord/bot.ts':
        "import type { openStore } from '../store/index.ts';\nexport type Bot = typeof openStore;\n",
      'src/jobs/schedules.ts': "import { openStore } from '../store/index.ts';\nexport const jobs = openStore;\n",
    });
    assert.notEqual(r.status, 0, r.output);
    for (const adapter of ['src/cli/admin.ts', 'src/discord/bot.ts', 'src/jobs/schedules.ts'])
      assert.match(
        r.output,
        new RegExp(`adapters-through-services: ${adapter.replace(/[./]/g, '\\$&')} → src/store/index\\.ts`),
      );
  });

  it('fails an import cycle, a command reaching a service module, and a service reading adapter settings', {
    timeout: 60_000,
  }, () => {
    const r = checkTree({
      'src/services/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'src/services/b.ts': "import type { a } from './a.ts';\nexport const b = 1 as typeof a;\n",
      'src/services/c.ts': "import { settings } from '../config.ts';\nexport const c = settings;\n",
      'src/config.ts': 'export const settings = 1;\n',
      'commands/train.ts': "import { a } from '../src/services/a.ts';\nexport const train = a;\n",
    });
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /no-circular/);
    assert.match(r.output, /commands-through-discord-and-services: commands\/train\.ts → src\/services\/a\.ts/);
    assert.match(r.output, /services-below-adapters: src\/services\/c\.ts → src\/config\.ts/);
  });
});
