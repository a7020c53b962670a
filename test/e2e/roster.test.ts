/**
 * End to end: roster packs in Discord. A pack is built with the real CLI from a few nagadomi10 training
 * crops and installed in the bot's data folder (added to a CLI guild only), then the real bot, against the
 * fake Discord, serves two new servers: one adds the pack, is named a face the pack never held, pages
 * /gallery by an alias, corrects one face, and removes the pack; the other stays blank and is told how
 * to start. One bot process for every step.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/e2e/roster.test.ts
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BotProcess, botEnv, runScript } from './fake-discord/bot-process.ts';
import { FakeDiscord, type AttachmentInput, type FakeGuild } from './fake-discord/server.ts';
import type { ApiMessage } from './fake-discord/payloads.ts';
import { crops, MODEL_MIRROR } from './data.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/paths.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';

const TOKEN = 'e2e-token-cm9zdGVyLXBhY2tz-SHOULD-NEVER-LEAK';
const PACK = 'nagadomi10';
const TITLE = 'AnimeFace 10';
const LABELS = [
  'akiyama_mio',
  'fate_testarossa',
  'hakurei_reimu',
  'hatsune_miku',
  'izumi_konata',
  'kinomoto_sakura',
  'lelouch_lamperouge',
  'shana',
  'suzumiya_haruhi',
  'takamachi_nanoha',
];
/** Training crops per character in the pack; the faces posted are from the test split, never in it. */
const PER_CHARACTER = 8;
const MIKU = 'Hatsune Miku';
const NO_PERMISSIONS = '0';

const skip = skipUnless('the roster e2e test', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));

describe('roster packs in Discord', { skip, timeout: 180_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  /** The server that adds the pack, and one that never does. */
  let packed: FakeGuild;
  let blank: FakeGuild;

  const post = async (guild: FakeGuild, attachments: AttachmentInput[]) => {
    const posted = fake.postMessage(guild.channels.screenshots.id, { content: 'who is this?', attachments });
    return fake.waitFor(() => fake.repliesTo(posted.id)[0], 60_000, `a reply to ${attachments[0].filename}`);
  };
  const run = (name: string, guild: FakeGuild, options: Record<string, string> = {}, who = {}) =>
    fake.reply(fake.slash(name, options, { channelId: guild.channels.general.id, ...who }), 60_000);
  const suggestions = async (command: string, option: string, typed: string, guild: FakeGuild) => {
    const typing = fake.autocomplete(command, option, typed, { channelId: guild.channels.general.id });
    const answer = await fake.waitFor(() => typing.callbacks.find((c) => c.type === 8), 10_000, 'suggestions');
    return answer.data.choices as Array<{ name: string; value: string }>;
  };
  const customIds = (message: ApiMessage): string[] =>
    message.components.flatMap((row: any) => row.components.map((c: any) => c.custom_id));

  before(async () => {
    const work = tempDir('idoltag-e2e-roster-');
    const dataDir = path.join(work, 'data');
    // A labelled folder <character>/<picture> from the training split, as a community would share one.
    const folder = path.join(work, 'folder');
    for (const label of LABELS) {
      mkdirSync(path.join(folder, label), { recursive: true });
      for (const crop of crops(label, 'train', PER_CHARACTER))
        writeFileSync(path.join(folder, label, crop.filename), crop.bytes);
    }
    const cliEnv = { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR };
    const file = path.join(work, `${PACK}.idpack`);
    const built = await runCli(
      [
        '--data',
        dataDir,
        'roster',
        'build',
        '--folder',
        folder,
        '--id',
        PACK,
        '--title',
        TITLE,
        '--franchise',
        'AnimeFace',
      ].concat(['--no-hold-out', '--out', file]),
      cliEnv,
    );
    assert.equal(built.code, 0, built.stderr);
    // Installed in the bot's data folder, and added only to a guild that is neither Discord server.
    const installed = await runCli(['--data', dataDir, '--guild', 'cli-only', 'roster', 'add', file], cliEnv);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /Added AnimeFace 10: 10 characters/);

    fake = await FakeDiscord.start({ guilds: 2 });
    [packed, blank] = fake.guilds;
    const env = botEnv(fake, {
      token: TOKEN,
      dataDir,
      extra: { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR, IDOLTAG_GALLERY_PAGE_SIZE: '1' },
    });
    const deployed = await runScript('src/discord/deploy-commands.ts', env);
    assert.equal(deployed.code, 0, deployed.output);
    bot = BotProcess.start(env);
    await fake.waitFor(() => fake.sessions > 0 || !bot.running, 90_000, 'the bot to connect');
    await fake.waitFor(() => bot.lines.some((l) => l.includes('idoltag is online')) || !bot.running, 30_000, 'ready');
    assert.ok(bot.running, `the bot exited while starting:\n${bot.output()}`);
  });

  after(async () => {
    await bot?.stop();
    await fake?.stop();
  });

  test('/roster is registered for Manage Server, with list, add and remove', () => {
    const roster = (fake.registeredCommands.get(fake.guildId) ?? []).find((c) => c.name === 'roster');
    assert.ok(roster, '/roster is registered');
    assert.equal(roster.default_member_permissions, String(1 << 5));
    assert.deepEqual(roster.options.map((o: { name: string }) => o.name).sort(), ['add', 'list', 'remove']);
  });

  test('first contact: a server that knows nobody is told how to start, once per reply', async () => {
    for (const guild of [packed, blank]) {
      const watching = await run('watch add', guild, { channel: guild.channels.screenshots.id });
      assert.match(watching.content, /now watching/);
      assert.match(watching.content, /`\/roster add`.*`\/teach`/);
      assert.equal(watching.content.match(/\/roster add/g)?.length, 1);
    }
    // The pack is installed on the bot, but this server did not add it: nobody is named.
    const unknown = await post(blank, crops('hatsune_miku', 'test', 1));
    assert.match(unknown.content, /not sure who it is yet/);
    assert.match(unknown.content, /`\/roster add`.*`\/teach`/);
  });

  test('/roster list shows the installed pack, not added in a new server', async () => {
    const listed = await run('roster list', packed);
    assert.match(listed.content, /0 of \d+ added/);
    assert.match(listed.content, /▫️ \*\*AnimeFace 10\*\* \(`nagadomi10`\) · 10 characters/);
    assert.match(listed.content, /\/roster add pack:/);
    assert.equal(listed.flags & 64, 64, 'only shown to the one who asked');
    assert.deepEqual(await suggestions('roster add', 'pack', 'anime', packed), [
      { name: 'AnimeFace 10 · 10 characters', value: PACK },
    ]);
  });

  test('only a member who can manage the server adds a pack', async () => {
    const refused = await run('roster add', packed, { pack: PACK }, { user: fake.fan, permissions: NO_PERMISSIONS });
    assert.match(refused.content, /Only members who can \*\*Manage Server\*\*/);
    assert.equal(refused.flags & 64, 64);
    const typo = await run('roster add', packed, { pack: 'nagadomi11' });
    assert.match(typo.content, /don't have a roster pack called \*\*nagadomi11\*\*/);
    assert.match((await run('roster list', packed)).content, /0 of \d+ added/);
  });

  test('/roster add: its characters are named at once, and called by the names fans type', async () => {
    const added = await run('roster add', packed, { pack: PACK });
    assert.equal(added.content, "✅ Added **AnimeFace 10**: 10 characters. Post a screenshot and I'll name them!");
    const again = await run('roster add', packed, { pack: PACK });
    assert.match(again.content, /already in this server's roster/);
    // Two faces of the test split: the pack holds only training crops.
    for (const face of crops('hatsune_miku', 'test', 2)) {
      const reply = await post(packed, [face]);
      assert.match(reply.content, /\*\*Hatsune Miku\*\* — \d+% sure/);
      assert.doesNotMatch(reply.content, /\/roster add/, 'no first-contact hint once the server knows someone');
    }
    assert.deepEqual(await suggestions('gallery', 'name', 'miku', packed), [
      { name: 'Hatsune Miku · AnimeFace', value: MIKU },
    ]);
    assert.deepEqual(await suggestions('gallery', 'name', 'miku', blank), [], 'one server’s pack is nobody else’s');
  });

  test('/gallery pages by her alias', async () => {
    const first = await run('gallery', packed, { name: 'miku' });
    assert.match(first.content, /\*\*Hatsune Miku\*\* appears in 2 screenshots · page 1 of 2/);
    const next = first.components[0].components.find((c: any) => c.label === 'Next');
    fake.clickButton(first, next.custom_id);
    const second = await fake.waitFor(
      () => (fake.messages.get(first.id)!.content.includes('page 2 of 2') ? fake.messages.get(first.id) : undefined),
      20_000,
      'page 2',
    );
    assert.equal(second.embeds.length, 1);
  });

  test('a correction by a name fans type lands on the pack character, never a twin', async () => {
    const reply = await post(packed, crops('suzumiya_haruhi', 'test', 1));
    const other = customIds(reply).find((id) => id.startsWith('face:other:'))!;
    const click = fake.clickButton(reply, other, { user: fake.fan });
    await fake.waitFor(() => click.callbacks.some((c) => c.type === 9), 10_000, 'the name modal');
    fake.submitModal(click, { character: 'haruhi' }, { user: fake.fan });
    const corrected = await fake.waitFor(
      () => (fake.messages.get(reply.id)!.content.includes('set by') ? fake.messages.get(reply.id) : undefined),
      30_000,
      'the corrected reply',
    );
    assert.match(corrected.content, /\*\*Suzumiya Haruhi\*\* — ✏️ set by a producer/);
    const characters = await run('characters', packed);
    assert.match(characters.content, /I know \*\*10\*\* characters/, 'no "haruhi" beside Suzumiya Haruhi');
  });

  test('/roster remove: the pack goes, the corrected character stays with her face', async () => {
    assert.deepEqual(await suggestions('roster remove', 'pack', '', packed), [
      { name: 'AnimeFace 10 · 10 characters · ✅ added', value: PACK },
    ]);
    const refused = await run('roster remove', packed, { pack: PACK }, { user: fake.fan, permissions: NO_PERMISSIONS });
    assert.match(refused.content, /Only members who can \*\*Manage Server\*\*/);
    const removed = await run('roster remove', packed, { pack: PACK });
    assert.match(removed.content, /Removed \*\*AnimeFace 10\*\* from this server: 9 characters went/);
    assert.match(removed.content, /taught or corrected stays, with every face: \*\*Suzumiya Haruhi\*\*\./);
    const characters = await run('characters', packed);
    assert.match(characters.content, /I know \*\*1\*\* character:\n\*\*Suzumiya Haruhi\*\* · 1 face$/);
    const gone = await run('gallery', packed, { name: 'miku' });
    assert.match(gone.content, /don't know anyone called \*\*miku\*\*/);
    assert.match((await run('roster list', packed)).content, /0 of \d+ added/);
    const again = await run('roster remove', packed, { pack: PACK });
    assert.match(again.content, /isn't in this server's roster/);
  });

  test('the token never appears in a log line or anything the bot sent', () => {
    assert.ok(!bot.output().includes(TOKEN));
    assert.ok(!fake.everythingTheBotSent().includes(TOKEN));
  });
});
