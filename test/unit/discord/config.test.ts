import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadBotSettings, SettingsError } from '../../../src/config.ts';

test('defaults fill in everything but the token', () => {
  const settings = loadBotSettings({ DISCORD_TOKEN: 'abc.def' });
  assert.equal(settings.token, 'abc.def');
  assert.equal(settings.maxAttachmentBytes, 10 * 1024 * 1024);
  assert.equal(settings.dataDir, path.resolve('data'));
  assert.equal(settings.devGuildId, undefined);
  assert.equal(settings.testAttachmentOrigin, undefined);
});

test('every problem is named in one message, never echoing the token', () => {
  assert.throws(
    () => loadBotSettings({ DISCORD_TOKEN: '', DISCORD_DEV_GUILD_ID: 'my server', IDOLTAG_MAX_ATTACHMENT_BYTES: '-3' }),
    (error: unknown) => {
      assert.ok(error instanceof SettingsError);
      assert.match(error.message, /DISCORD_TOKEN is empty/);
      assert.match(error.message, /DISCORD_DEV_GUILD_ID must be a Discord id/);
      assert.match(error.message, /IDOLTAG_MAX_ATTACHMENT_BYTES/);
      return true;
    },
  );
  assert.throws(
    () => loadBotSettings({ DISCORD_TOKEN: 'secret with spaces' }),
    (e: Error) => !e.message.includes('secret'),
  );
});

test('the test attachment origin may only be a loopback address', () => {
  const ok = loadBotSettings({ DISCORD_TOKEN: 't', IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN: 'http://127.0.0.1:4567/' });
  assert.equal(ok.testAttachmentOrigin, 'http://127.0.0.1:4567');
  assert.throws(
    () => loadBotSettings({ DISCORD_TOKEN: 't', IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN: 'http://10.0.0.5' }),
    SettingsError,
  );
});
