/**
 * First contact in the CLI: `idoltag tag` in a guild that knows nobody (nothing taught, no roster pack)
 * says once, on stderr, why every face is unknown and how to start; stdout stays clean JSON. Once the
 * guild knows someone, it says nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { jsonLines, runCli } from '../helpers/cli.ts';
import { labelledSubset } from '../helpers/labelled-subset.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';

const skip = skipUnless('the CLI first-contact note', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));
const CROPS = ['test_face_604_367_106.jpg', 'test_face_632_189_54.jpg'].map((f) =>
  path.join(DATA, 'nagadomi10', 'faces', 'hatsune_miku', f),
);
const HINT =
  /^Nothing is taught yet and no roster pack is added: every face will be unknown\. Add a pack \(idoltag roster add .+\) or teach \(idoltag import DIR\)\.$/m;

describe('idoltag tag in a guild that knows nobody', { skip }, () => {
  const data = tempDir('idoltag-first-contact-');

  it('says how to start, once, on stderr', async () => {
    const r = await runCli(['--data', data, 'tag', ...CROPS, '--crops', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, HINT);
    assert.equal(r.stderr.match(new RegExp(HINT.source, 'gm'))?.length, 1, 'once for the run, not per file');
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.faces[0].label),
      [null, null],
    );
  });

  it('says nothing once the guild knows someone', async () => {
    const taught = await runCli(['--data', data, 'import', labelledSubset('nagadomi10', 1), '--crops']);
    assert.equal(taught.code, 0, taught.stderr);
    const r = await runCli(['--data', data, 'tag', ...CROPS, '--crops', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Nothing is taught yet/);
    // Another guild of the same data folder still knows nobody.
    const other = await runCli(['--data', data, '--guild', 'elsewhere', 'tag', CROPS[0], '--crops']);
    assert.match(other.stderr, HINT);
  });
});
