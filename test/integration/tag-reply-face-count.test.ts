/**
 * A tag reply lists at most a few faces; after a correction the bot rebuilds it and says how many it
 * left out. That count comes from the store (every face found on the image), not from the reply's
 * text: here on a real group picture with the real detector and embedder.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { facesToShow, MAX_FACES_WITH_CONTROLS } from '../../src/discord/views/tag-reply.ts';
import { openServices, type Services } from '../../src/services/index.ts';
import { DATA, tempDir } from '../helpers/paths.ts';
import { serviceOptionsFor } from '../helpers/settings.ts';

const GUILD = '100000000000000001';
const OTHER_GUILD = '200000000000000002';

describe('faces a tag reply leaves out', { timeout: 3 * 60_000 }, () => {
  let services: Services;
  before(async () => {
    services = await openServices(serviceOptionsFor(tempDir('idoltag-face-count-')));
  });
  after(async () => services?.close());

  it('are counted from the image in the store, also after a correction, and only in its guild', async () => {
    const bytes = readFileSync(path.join(DATA, 'multiface', 'images', 'xavier_test_1.jpg'));
    const tagged = await services.tagging.tagImage({
      guildId: GUILD,
      bytes,
      source: { kind: 'file', path: 'group.jpg' },
    });
    assert.ok(tagged.faces.length > MAX_FACES_WITH_CONTROLS, `a group picture: ${tagged.faces.length} faces`);
    const shown = facesToShow(tagged.faces);
    const imageId = services.corrections.faceView(GUILD, shown[0].faceId)!.imageId;
    assert.equal(services.corrections.faceCountOfImage(GUILD, imageId), tagged.faces.length);

    await services.corrections.notACharacter(GUILD, shown[0].faceId, 'tester');
    assert.equal(services.corrections.faceCountOfImage(GUILD, imageId), tagged.faces.length);
    assert.equal(services.corrections.faceCountOfImage(OTHER_GUILD, imageId), 0);
  });
});
