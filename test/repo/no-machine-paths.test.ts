import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT, tempDir } from '../helpers/paths.ts';

// The checkout must work wherever it is cloned: no committed file may name a folder of the machine it was
// written on. The parent folder of the checkout (where ../shared sits) counts as one, whatever it is.
// The needles are assembled so that this file does not match itself.
function machinePaths(root: string): string[] {
  return [...new Set([...['work', 'root', 'home'].map((d) => `/${d}/`), `${path.dirname(root)}/`])];
}

function hits(root: string): string[] {
  return machinePaths(root).flatMap((needle) => {
    const r = spawnSync('git', ['grep', '-n', '-I', '-F', '-e', needle, '--', '.', ':!package-lock.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.ok(r.status === 0 || r.status === 1, `git grep failed in ${root}: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => `${needle}  ${line.slice(0, 200)}`);
  });
}

it('no tracked file holds an absolute path of this machine', () => {
  const found = hits(ROOT);
  assert.deepEqual(
    found,
    [],
    `absolute machine paths found (use ../shared, IDOLTAG_SHARED_DATA or the manifest):\n${found.join('\n')}`,
  );
});

it('the check finds such a path in a repository that has one', () => {
  const repo = tempDir('idoltag-paths-');
  const git = (...args: string[]) => assert.equal(spawnSync('git', args, { cwd: repo }).status, 0, args.join(' '));
  git('init', '-q');
  writeFileSync(path.join(repo, 'clean.md'), 'data lives in ../shared/data\n');
  writeFileSync(path.join(repo, 'leak.json'), JSON.stringify({ path: `/${'home'}/someone/shared/data/x.jpg` }));
  git('add', '.');
  const found = hits(repo);
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0], /leak\.json/);
});
