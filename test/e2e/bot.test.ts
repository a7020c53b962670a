/**
 * End to end: the real bot process (`src/discord/main.ts`) against the fake Discord, with real
 * models and a temporary data folder. Steps build on each other (teach → tag → correct → restart).
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/e2e/bot.test.ts
 *
 * IDOLTAG_E2E_ECHO=1 prints the bot's log lines as they come.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BotProcess, botEnv, runScript } from './fake-discord/bot-process.ts';
import { FakeDiscord, type AttachmentInput, type FakeInteraction } from './fake-discord/server.ts';
import type { ApiMessage } from './fake-discord/payloads.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { crops, MODEL_MIRROR, screenshot, screenshotFace } from './data.ts';
import { resolveVersionName } from '../../src/services/embedder-registry.ts';

const TOKEN = 'e2e-token-Zm9vYmFyLmJhei5xdXV4-SHOULD-NEVER-LEAK';
const MIKU = 'Hatsune Miku';
const HARUHI = 'Suzumiya Haruhi';
const KYARU = 'Kyaru';
const GALLERY_PAGE_SIZE = 2;

const skip = skipUnless(
  'the bot e2e tests',
  sharedData('nagadomi10'),
  sharedData('screenshots_syncopika', 'boxes.csv'),
  mirroredModel('mobilenetv2_12_int8'),
);

describe('idoltag bot against a fake Discord', { skip, timeout: 240_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  const retiredBots: BotProcess[] = [];
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  /** The reply to the first Miku crop: its buttons are clicked again after the restart. */
  let mikuReply: ApiMessage;

  const startBot = async () => {
    const sessionsBefore = fake.sessions;
    bot = BotProcess.start(env);
    await fake.waitFor(() => fake.sessions > sessionsBefore || !bot.running, 90_000, 'the bot to connect');
    assert.ok(bot.running, `the bot exited while starting:\n${bot.output()}`);
    // The client is ready once the guild arrived; give discord.js a tick to emit it.
    await fake.waitFor(() => bot.lines.some((l) => l.includes('idoltag is online')) || !bot.running, 30_000, 'ready');
  };

  /** Posts in the watched channel and waits for the bot's reply to that message. */
  const postAndWaitForReply = async (attachments: AttachmentInput[]) => {
    const posted = fake.postMessage(fake.channels.screenshots.id, { content: 'look!', attachments });
    return fake.waitFor(() => fake.repliesTo(posted.id)[0], 60_000, `a reply to ${attachments[0]?.filename}`);
  };

  const teach = async (name: string, images: ReturnType<typeof crops>): Promise<ApiMessage> => {
    const options: Record<string, unknown> = { name };
    images.forEach((image, i) => (options[i === 0 ? 'image' : `image${i + 1}`] = image));
    return fake.reply(fake.slash('teach', options as never), 90_000);
  };

  const customIds = (message: ApiMessage): string[] =>
    message.components.flatMap((row: any) => row.components.map((c: any) => c.custom_id));

  before(async () => {
    fake = await FakeDiscord.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-e2e-'));
    env = botEnv(fake, {
      token: TOKEN,
      dataDir,
      extra: { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR, IDOLTAG_GALLERY_PAGE_SIZE: String(GALLERY_PAGE_SIZE) },
    });
    const deployed = await runScript('src/discord/deploy-commands.ts', env);
    assert.equal(deployed.code, 0, deployed.output);
    await startBot();
  });

  after(async () => {
    // The bot goes first, then the fake it talks to.
    await bot?.stop();
    await fake?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('deploy-commands registered every command in the dev guild', () => {
    const names = (fake.registeredCommands.get(fake.guildId) ?? []).map((c) => c.name).sort();
    assert.deepEqual(names, [
      'character',
      'characters',
      'gallery',
      'map',
      'roster',
      'stats',
      'tag',
      'teach',
      'train',
      'unknowns',
      'watch',
    ]);
    for (const admin of ['character', 'roster', 'train', 'watch']) {
      const command = fake.registeredCommands.get(fake.guildId)!.find((c) => c.name === admin);
      assert.equal(command.default_member_permissions, String(1 << 5), `/${admin} needs Manage Server by default`);
    }
    const watch = fake.registeredCommands.get(fake.guildId)!.find((c) => c.name === 'watch');
    assert.equal(watch.default_member_permissions, String(1 << 5), '/watch needs Manage Server by default');
  });

  test('/watch add and list', async () => {
    const added = await fake.reply(fake.slash('watch add', { channel: fake.channels.screenshots.id }));
    assert.match(added.content, /now watching/);
    const listed = await fake.reply(fake.slash('watch list'));
    assert.match(listed.content, new RegExp(`<#${fake.channels.screenshots.id}>`));
    assert.equal(listed.flags & 64, 64, 'the list is only shown to the one who asked');
  });

  test('/teach with 5 crops makes a new character', async () => {
    const reply = await teach(MIKU, crops('hatsune_miku', 'train', 5));
    assert.match(reply.content, /Nice to meet you, \*\*Hatsune Miku\*\*/);
    assert.match(reply.content, /5 of 5 pictures/);
    assert.equal(reply.embeds.length, 5, 'one report per picture');
    assert.equal(reply.attachments.length, 5, 'a crop preview per picture');
    assert.ok(reply.embeds.every((e: any) => e.thumbnail?.url?.startsWith('attachment://')));
    const second = await teach(HARUHI, crops('suzumiya_haruhi', 'train', 5));
    assert.match(second.content, /Nice to meet you, \*\*Suzumiya Haruhi\*\*/);
  });

  test('/teach from a linked message, with name autocomplete', async () => {
    const typing = fake.autocomplete('teach', 'name', 'suzu');
    await fake.waitFor(() => typing.callbacks.find((c) => c.type === 8), 10_000, 'suggestions');
    assert.deepEqual(typing.callbacks[0].data.choices, [{ name: HARUHI, value: HARUHI }]);
    const shared = fake.postMessage(fake.channels.general.id, {
      content: 'more Haruhi for the bot',
      attachments: crops('suzumiya_haruhi', 'train', 7).slice(5),
    });
    const link = `https://discord.com/channels/${fake.guildId}/${fake.channels.general.id}/${shared.id}`;
    const reply = await fake.reply(fake.slash('teach', { name: HARUHI, message_link: link }), 60_000);
    assert.match(reply.content, /studied more of \*\*Suzumiya Haruhi\*\*/);
    assert.match(reply.content, /2 of 2 pictures/);
    const foreign = await fake.reply(
      fake.slash('teach', { name: HARUHI, message_link: 'https://discord.com/channels/1/2/3' }),
    );
    assert.match(foreign.content, /doesn't look like a message link|only look at messages from this server/);
  });

  test('a crop posted in a watched channel is named, with a preview and corrections', async () => {
    const reply = await postAndWaitForReply(crops('hatsune_miku', 'test', 1));
    mikuReply = reply;
    assert.match(reply.content, /Hatsune Miku/);
    assert.ok(
      fake.requests.some((r) => r.path === `/channels/${fake.channels.screenshots.id}/typing`),
      'typing… while working',
    );
    assert.equal(reply.attachments.length, 1, 'a preview image');
    assert.match(reply.attachments[0].content_type ?? reply.attachments[0].filename, /jpe?g|png/);
    const ids = customIds(reply);
    assert.ok(
      ids.some((id) => /^face:confirm:\d+$/.test(id)),
      `confirm button in ${ids}`,
    );
    assert.ok(ids.some((id) => /^face:other:\d+$/.test(id)));
    assert.ok(ids.some((id) => /^face:none:\d+$/.test(id)));
  });

  test('unwatched channels are ignored', async () => {
    const ignored = fake.postMessage(fake.channels.general.id, { attachments: crops('hatsune_miku', 'test', 1) });
    // Messages are handled in order: once a later watched post is answered, the first was seen.
    await postAndWaitForReply(crops('suzumiya_haruhi', 'test', 1));
    assert.deepEqual(fake.repliesTo(ignored.id), []);
  });

  test('a correction through "someone else…" is stored and changes the next answer', async () => {
    const shana = crops('shana', 'train', 1);
    const reply = await postAndWaitForReply(shana);
    const faceId = customIds(reply).find((id) => id.startsWith('face:other:'))!;
    const click = fake.clickButton(reply, faceId);
    await fake.waitFor(() => click.callbacks.some((c) => c.type === 9), 10_000, 'the name modal');
    fake.submitModal(click, { character: 'Shana' }, { user: fake.fan });
    const edited = await fake.waitFor(
      () => (fake.messages.get(reply.id)!.content.includes('Shana') ? fake.messages.get(reply.id) : undefined),
      30_000,
      'the reply to be corrected',
    );
    assert.match(edited.content, /\*\*Shana\*\* — ✏️ set by a producer/);
    assert.match(edited.content, new RegExp(`<@${fake.fan.id}>`), 'thanks the one who corrected');
    // The same picture again: now the bot knows her.
    const again = await postAndWaitForReply(shana);
    assert.match(again.content, /Shana/);
  });

  test('picking another character from the menu relabels the face', async () => {
    const reply = await postAndWaitForReply(crops('suzumiya_haruhi', 'test', 2).slice(1));
    const menu = reply.components.flatMap((r: any) => r.components).find((c: any) => c.type === 3);
    assert.ok(menu, 'a menu of other characters');
    const option = menu.options.find((o: any) => o.value === `c:${MIKU}`) ?? menu.options[0];
    const pick = fake.selectMenu(reply, menu.custom_id, [option.value]);
    await fake.waitFor(
      () => pick.callbacks.length > 0 && fake.messages.get(reply.id)!.edited_timestamp,
      30_000,
      'the edit',
    );
    assert.match(fake.messages.get(reply.id)!.content, new RegExp(`\\*\\*${option.label}\\*\\* — ✏️`));
  });

  test('a screenshot in a watched channel names the taught character', async () => {
    const faces = await Promise.all(['kyaru7.jpg', 'kyaru10.jpg', 'kyaru12.jpg', 'kyaru17.jpg'].map(screenshotFace));
    const taught = await teach(KYARU, faces);
    assert.match(taught.content, /Kyaru/);
    const reply = await postAndWaitForReply([screenshot('kyaru15.jpg')]);
    assert.match(reply.content, /Kyaru/);
    assert.equal(reply.attachments.length, 1, 'a preview with the boxes drawn');
    const preview = fake.fileOf(reply.attachments[0]);
    assert.ok(preview.length > 1000, 'the preview is a real image');
  });

  test('/gallery pages through the shots a character was tagged in', async () => {
    const first = await fake.reply(fake.slash('gallery', { name: MIKU }));
    assert.match(first.content, /\*\*Hatsune Miku\*\* appears in \d+ screenshots · page 1 of \d+/);
    assert.equal(first.embeds.length, GALLERY_PAGE_SIZE);
    assert.equal(first.attachments.length, GALLERY_PAGE_SIZE, 'a thumbnail per shot');
    const pages = Number(first.content.match(/page 1 of (\d+)/)![1]);
    assert.ok(pages >= 3, `5 taught pictures and the posted shots make at least 3 pages, not ${pages}`);
    const links: string[] = first.embeds.map((e: any) => e.url).filter(Boolean);
    const nextButton = (m: ApiMessage) => m.components[0].components.find((c: any) => c.label === 'Next');
    assert.equal(nextButton(first).custom_id, `gallery:1:${MIKU}`);
    for (let page = 2; page <= pages; page++) {
      fake.clickButton(first.id, nextButton(fake.messages.get(first.id)!).custom_id);
      const shown = await fake.waitFor(
        () =>
          fake.messages.get(first.id)!.content.includes(`page ${page} of`) ? fake.messages.get(first.id) : undefined,
        20_000,
        `page ${page}`,
      );
      assert.ok(shown.embeds.length >= 1 && shown.embeds.length <= GALLERY_PAGE_SIZE);
      assert.equal(shown.attachments.length, shown.embeds.length, "only this page's thumbnails");
      links.push(...shown.embeds.map((e: any) => e.url).filter(Boolean));
    }
    assert.equal(nextButton(fake.messages.get(first.id)!).disabled, true, 'no page after the last');
    assert.ok(
      links.some((url: string) =>
        url.endsWith(`/${fake.channels.screenshots.id}/${mikuReply.message_reference!.message_id}`),
      ),
      `a jump link to the posted screenshot among ${links.join(' ')}`,
    );
    const unknown = await fake.reply(fake.slash('gallery', { name: 'Nobody Atall' }));
    assert.match(unknown.content, /don't know anyone called \*\*Nobody Atall\*\*/);
  });

  test('bad attachments get a clear reply before any download', async () => {
    const hitsBefore = fake.cdnHits.length;
    const text = fake.slash('tag', { image: { filename: 'notes.txt', bytes: Buffer.from('hello producer') } });
    assert.match((await fake.reply(text)).content, /doesn't look like a picture/);
    const huge = fake.slash('tag', {
      image: {
        filename: 'huge.png',
        bytes: Buffer.alloc(64),
        contentType: 'image/png',
        declaredSize: 25 * 1024 * 1024,
      },
    });
    assert.match((await fake.reply(huge)).content, /too big for me \(the limit is 10 MB\)/);
    const posted = fake.postMessage(fake.channels.screenshots.id, {
      attachments: [
        { filename: 'big.jpg', bytes: Buffer.alloc(64), contentType: 'image/jpeg', declaredSize: 11 * 1024 * 1024 },
      ],
    });
    const reply = await fake.waitFor(() => fake.repliesTo(posted.id)[0], 10_000, 'the too-big reply');
    assert.match(reply.content, /too big/);
    const pdf = fake.postMessage(fake.channels.screenshots.id, {
      attachments: [{ filename: 'setlist.pdf', bytes: Buffer.from('%PDF-1.4') }],
    });
    const pdfReply = await fake.waitFor(() => fake.repliesTo(pdf.id)[0], 10_000, 'the not-a-picture reply');
    assert.match(pdfReply.content, /\*\*setlist.pdf\*\* doesn't look like a picture/);
    assert.equal(fake.cdnHits.length, hitsBefore, 'nothing was downloaded');
    // Claims to be a PNG but isn't: caught by its magic bytes after download.
    const liar = fake.slash('tag', {
      image: { filename: 'fake.png', bytes: Buffer.from('<html>not a picture</html>') },
    });
    assert.match((await fake.reply(liar)).content, /doesn't look like a picture I can read/);
  });

  test('/tag answers privately when asked', async () => {
    const interaction: FakeInteraction = fake.slash('tag', {
      image: crops('hatsune_miku', 'test', 3)[2],
      private: true,
    });
    const reply = await fake.reply(interaction, 60_000);
    assert.equal(reply.flags & 64, 64, 'ephemeral');
    assert.match(reply.content, /Hatsune Miku|Suzumiya Haruhi|Shana|Kyaru/);
  });

  test('after a restart nothing is lost and old buttons still work', async () => {
    assert.equal(await bot.stop(), 0, 'a clean shutdown on SIGTERM');
    retiredBots.push(bot);
    await startBot();
    const confirmId = customIds(mikuReply).find((id) => id.startsWith('face:confirm:'))!;
    fake.clickButton(mikuReply, confirmId);
    const confirmed = await fake.waitFor(
      () =>
        fake.messages.get(mikuReply.id)!.content.includes('confirmed') ? fake.messages.get(mikuReply.id) : undefined,
      30_000,
      'the confirmation',
    );
    assert.match(confirmed.content, /\*\*Hatsune Miku\*\* — ✅ confirmed/);
    const reply = await postAndWaitForReply(crops('hatsune_miku', 'test', 4).slice(3));
    assert.match(reply.content, /Hatsune Miku/);
    const listed = await fake.reply(fake.slash('characters'));
    for (const name of [MIKU, HARUHI, 'Shana', KYARU])
      assert.match(listed.content, new RegExp(`\\*\\*${name}\\*\\* · \\d+ face`));
    const stats = await fake.reply(fake.slash('stats'));
    const fields = Object.fromEntries(stats.embeds[0].fields.map((f: any) => [f.name, f.value]));
    assert.equal(fields.Characters, '4');
    assert.ok(
      fields.Embedder.includes(resolveVersionName('default')),
      `a new bot serves the shipped embedder: ${fields.Embedder}`,
    );
    const trained = await fake.reply(fake.slash('train head'), 60_000);
    assert.match(trained.content, /Recogniser v\d+ learned 4 characters/);
    const map = await fake.reply(fake.slash('map', { highlight: KYARU }), 120_000);
    assert.match(map.content, /faces of 4 characters/);
    assert.equal(map.attachments.length, 1, 'the map PNG');
    const unknown = await fake.reply(fake.slash('unknowns list'), 60_000);
    assert.match(unknown.content, /unknown faces|could name everyone/);
  });

  test('/character rename keeps the faces under the new name', async () => {
    const renamed = await fake.reply(fake.slash('character rename', { name: KYARU, new_name: 'Kyaru Momochi' }));
    assert.match(renamed.content, /\*\*Kyaru\*\* is now called \*\*Kyaru Momochi\*\*/);
    const missing = await fake.reply(fake.slash('character delete', { name: 'Nobody Atall' }));
    assert.match(missing.content, /don't know anyone called \*\*Nobody Atall\*\*/);
    assert.equal(missing.flags & 64, 64, 'problems are told privately');
  });

  test('the token never appears in a log line or anything the bot sent', () => {
    assert.ok(
      fake.identifyTokens.every((t) => t === TOKEN),
      'the gateway got the real token',
    );
    for (const process of [...retiredBots, bot]) {
      assert.ok(process.lines.length > 0);
      assert.ok(!process.output().includes(TOKEN), 'the token is in the bot log');
    }
    assert.ok(!fake.everythingTheBotSent().includes(TOKEN), 'the token is in a message body');
    const bodies = [...fake.messages.values()].map((m) => JSON.stringify(m)).join('\n');
    assert.ok(!bodies.includes(TOKEN));
  });
});

describe('idoltag bot settings', { skip, timeout: 90_000 }, () => {
  test('a missing token is one clear message and exit code 1', async () => {
    const fake = await FakeDiscord.start();
    try {
      const env = botEnv(fake, { token: '', dataDir: path.join(tmpdir(), 'idoltag-unused') });
      const bot = BotProcess.start(env);
      assert.equal(await bot.exitCode(30_000), 1);
      assert.match(bot.output(), /DISCORD_TOKEN is empty/);
      assert.equal(fake.sessions, 0);
    } finally {
      await fake.stop();
    }
  });

  test('a token Discord refuses is one clear message, exit code 1, and never printed', async () => {
    const fake = await FakeDiscord.start();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-e2e-'));
    const token = 'invalid-Zm9vYmFy.token-value';
    try {
      const bot = BotProcess.start(botEnv(fake, { token, dataDir, extra: { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR } }));
      assert.equal(await bot.exitCode(60_000), 1);
      assert.match(bot.output(), /Discord did not accept DISCORD_TOKEN/);
      assert.ok(!bot.output().includes(token));
    } finally {
      await fake.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
