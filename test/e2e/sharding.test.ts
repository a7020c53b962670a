/**
 * Sharding end to end: the real bot against a fake Discord that recommends 2 shards and routes each
 * guild's events by `(guild_id >> 22) % count`. First one process runs both shards (`shards:
 * 'auto'`); then two processes under discord.js's ShardingManager share one data folder, the CLI
 * teaches in a third, and one shard process is killed with SIGKILL.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/e2e/sharding.test.ts
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { BotProcess, botEnv, runScript } from './fake-discord/bot-process.ts';
import { FakeDiscord, type AttachmentInput, type FakeGuild } from './fake-discord/server.ts';
import type { ApiMessage } from './fake-discord/payloads.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { crops, MODEL_MIRROR } from './data.ts';

const TOKEN = 'e2e-shards-token-c2hhcmRzLnRlc3Q-SHOULD-NEVER-LEAK';
const skip = skipUnless('the sharding e2e tests', sharedData('nagadomi10'), mirroredModel('mobilenetv2_12_int8'));

/** What both scenarios do to talk to the bot. */
function fans(fake: FakeDiscord) {
  const postAndWaitForReply = async (guild: FakeGuild, attachments: AttachmentInput[]): Promise<ApiMessage> => {
    const posted = fake.postMessage(guild.channels.screenshots.id, { content: 'who is this?', attachments });
    return fake.waitFor(() => fake.repliesTo(posted.id)[0], 90_000, `a reply in ${guild.name}`);
  };
  const teach = async (guild: FakeGuild, name: string, images: AttachmentInput[]): Promise<ApiMessage> => {
    const options: Record<string, unknown> = { name };
    images.forEach((image, i) => (options[i === 0 ? 'image' : `image${i + 1}`] = image));
    return fake.reply(fake.slash('teach', options as never, { channelId: guild.channels.general.id }), 120_000);
  };
  const watch = async (guild: FakeGuild) => {
    const added = await fake.reply(
      fake.slash('watch add', { channel: guild.channels.screenshots.id }, { channelId: guild.channels.general.id }),
      60_000,
    );
    assert.match(added.content, /now watching/);
  };
  const stats = async (guild: FakeGuild) => {
    const reply = await fake.reply(fake.slash('stats', {}, { channelId: guild.channels.general.id }), 60_000);
    return Object.fromEntries(reply.embeds[0].fields.map((f: { name: string; value: string }) => [f.name, f.value]));
  };
  return { postAndWaitForReply, teach, watch, stats };
}

const shardOf = (guildId: string, count: number) => Number((BigInt(guildId) >> 22n) % BigInt(count));

describe('one process runs every shard Discord recommends', { skip, timeout: 420_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let dataDir: string;

  before(async () => {
    fake = await FakeDiscord.start({ recommendedShards: 2, guilds: 2 });
    dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-shards-one-'));
    const env = botEnv(fake, { token: TOKEN, dataDir, extra: { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR } });
    const deployed = await runScript('src/discord/deploy-commands.ts', env);
    assert.equal(deployed.code, 0, deployed.output);
    bot = BotProcess.start(env);
    await fake.waitFor(
      () => bot.lines.some((l) => l.includes('idoltag is online')) || !bot.running,
      180_000,
      'the bot to be online',
    );
    assert.ok(bot.running, `the bot exited while starting:\n${bot.output()}`);
  });

  after(async () => {
    await bot?.stop();
    await fake?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('both shards IDENTIFY with [id, 2], and every log line says which shards', () => {
    assert.deepEqual([...fake.identifiedShards].sort(), [
      [0, 2],
      [1, 2],
    ]);
    assert.deepEqual(
      fake.guilds.map((g) => shardOf(g.id, 2)),
      [0, 1],
      'one guild on each shard',
    );
    const online = bot.logRecords().find((r) => r.msg === 'idoltag is online');
    assert.deepEqual(online?.shards, [0, 1]);
    assert.equal(online?.guilds, 2);
    const records = bot.logRecords();
    assert.ok(records.length > 5 && records.every((r) => 'shards' in r), 'every line carries the shard ids');
    assert.ok(!bot.output().includes(TOKEN), 'the token is never logged');
  });

  test("each shard answers its own guild's screenshot", async () => {
    const { watch, teach, postAndWaitForReply } = fans(fake);
    const [first, second] = fake.guilds;
    for (const guild of fake.guilds) await watch(guild);
    assert.match((await teach(first, 'Hatsune Miku', crops('hatsune_miku', 'train', 5))).content, /Nice to meet you/);
    assert.match(
      (await teach(second, 'Suzumiya Haruhi', crops('suzumiya_haruhi', 'train', 5))).content,
      /Nice to meet you/,
    );
    assert.match((await postAndWaitForReply(first, crops('hatsune_miku', 'test', 1))).content, /Hatsune Miku/);
    assert.match((await postAndWaitForReply(second, crops('suzumiya_haruhi', 'test', 1))).content, /Suzumiya Haruhi/);
    // The line is written once the reply is sent, which can be a moment after the fake saw it.
    const tagged = await fake.waitFor(
      () => {
        const lines = bot.logRecords().filter((r) => r.msg === 'tagged a watched screenshot');
        return lines.length >= 2 && lines;
      },
      10_000,
      'both tagging log lines',
    );
    assert.deepEqual(
      tagged.map((r) => [r.guildId, r.shardId]),
      fake.guilds.map((g) => [g.id, shardOf(g.id, 2)]),
      "each guild's screenshot was handled on the guild's shard",
    );
  });

  test('/stats counts every shard', async () => {
    const fields = await fans(fake).stats(fake.guilds[0]);
    assert.equal(fields.Servers, '2');
    assert.equal(fields.Shards, '2 in 1 process');
  });
});

describe('two shard processes under the ShardingManager on one data folder', { skip, timeout: 600_000 }, () => {
  let fake: FakeDiscord;
  let manager: BotProcess;
  let dataDir: string;
  let scratch: string;
  let env: NodeJS.ProcessEnv;

  const started = () => manager.logRecords().filter((r) => r.msg === 'shard process started');
  const pidOf = (processIndex: number) =>
    started()
      .filter((r) => r.process === processIndex)
      .at(-1)?.pid as number;

  before(async () => {
    fake = await FakeDiscord.start({ recommendedShards: 2, guilds: 2 });
    dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-shards-two-'));
    scratch = mkdtempSync(path.join(tmpdir(), 'idoltag-shards-cli-'));
    env = botEnv(fake, {
      token: TOKEN,
      dataDir,
      extra: {
        IDOLTAG_MODEL_MIRROR: MODEL_MIRROR,
        IDOLTAG_PROCESSES: '2',
        IDOLTAG_SHARDS: 'auto',
        IDOLTAG_THREADS: '1',
      },
    });
    const deployed = await runScript('src/discord/deploy-commands.ts', env);
    assert.equal(deployed.code, 0, deployed.output);
    manager = BotProcess.start(env);
    await fake.waitFor(
      () => manager.lines.some((l) => l.includes('every shard process is ready')) || !manager.running,
      300_000,
      'both shard processes to be ready',
    );
    assert.ok(manager.running, `the manager exited while starting:\n${manager.output()}`);
    await fake.waitFor(() => fake.guilds.every((g) => fake.isServed(g.id)), 60_000, 'both guilds to be served');
    // A process reports ready to the manager on its first shard; "online" follows a moment later.
    await fake.waitFor(
      () => manager.logRecords().filter((r) => r.msg === 'idoltag is online').length >= 2,
      30_000,
      'both processes online',
    );
  });

  after(async () => {
    // The bot goes first (the manager stops its processes), then the fake it talks to.
    await manager?.stop(40_000);
    await fake?.stop();
    for (const dir of [dataDir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('each process IDENTIFYs its own shard of 2 and logs it on every line', () => {
    assert.deepEqual([...fake.identifiedShards].sort(), [
      [0, 2],
      [1, 2],
    ]);
    assert.deepEqual(
      started()
        .map((r) => [r.process, r.shards])
        .sort(),
      [
        [0, [0]],
        [1, [1]],
      ],
    );
    assert.notEqual(pidOf(0), pidOf(1));
    const online = manager.logRecords().filter((r) => r.msg === 'idoltag is online');
    assert.deepEqual(online.map((r) => [r.process, r.shards]).sort(), [
      [0, [0]],
      [1, [1]],
    ]);
    const schedulers = manager
      .logRecords()
      .filter((r) => r.msg === 'this process now runs the work of this lease' && r.lease === 'schedules');
    assert.equal(schedulers.length, 1, 'the schedules run in exactly one process');
  });

  test('a correction in one process changes the next answer there', async () => {
    const { watch, teach, postAndWaitForReply } = fans(fake);
    const [first, second] = fake.guilds;
    for (const guild of fake.guilds) await watch(guild);
    await teach(first, 'Hatsune Miku', crops('hatsune_miku', 'train', 5));
    await teach(first, 'Suzumiya Haruhi', crops('suzumiya_haruhi', 'train', 5));
    await teach(second, 'Hatsune Miku', crops('hatsune_miku', 'train', 5));
    const shana = crops('shana', 'train', 1);
    const reply = await postAndWaitForReply(first, shana);
    const other = reply.components
      .flatMap((row: any) => row.components)
      .find((c: any) => c.custom_id?.startsWith('face:other:'));
    const click = fake.clickButton(reply, other.custom_id);
    await fake.waitFor(() => click.callbacks.some((c) => c.type === 9), 30_000, 'the name modal');
    fake.submitModal(click, { character: 'Shana' }, { user: fake.fan });
    await fake.waitFor(() => fake.messages.get(reply.id)!.content.includes('Shana'), 60_000, 'the corrected reply');
    assert.match((await postAndWaitForReply(first, shana)).content, /Shana/);
    // The other guild, served by the other process, has its own characters.
    assert.doesNotMatch((await postAndWaitForReply(second, shana)).content, /Shana/);
  });

  test('a refit in another process (the CLI) is used by the bot on its next prediction', async () => {
    const second = fake.guilds[1];
    const folder = path.join(scratch, 'teach', 'konata');
    mkdirSync(folder, { recursive: true });
    for (const crop of crops('izumi_konata', 'train', 5)) writeFileSync(path.join(folder, crop.filename), crop.bytes);
    const cli = await runCli(
      ['import', path.join(scratch, 'teach'), '--crops', '--data', dataDir, '--guild', second.id],
      {
        IDOLTAG_MODEL_MIRROR: MODEL_MIRROR,
        IDOLTAG_THREADS: '1',
      },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout + cli.stderr, /head v\d+/);
    const { postAndWaitForReply } = fans(fake);
    assert.match((await postAndWaitForReply(second, crops('izumi_konata', 'test', 1))).content, /konata/i);
  });

  test('/stats sums over both processes', async () => {
    const fields = await fans(fake).stats(fake.guilds[0]);
    assert.equal(fields.Servers, '2');
    assert.equal(fields.Shards, '2 in 2 processes');
  });

  test('kill -9 of one shard process: the manager restarts it, the other keeps answering, nothing is lost', async () => {
    const { postAndWaitForReply } = fans(fake);
    const [first, second] = fake.guilds;
    const victimIndex = started().find((r) => r.shards[0] === shardOf(second.id, 2))!.process as number;
    const victim = pidOf(victimIndex);
    const identifiesBefore = fake.identifiedShards.length;
    process.kill(victim, 'SIGKILL');
    await fake.waitFor(() => !fake.isServed(second.id), 30_000, "the killed process's shard to drop");
    // The survivor answers while its neighbour is down.
    assert.match((await postAndWaitForReply(first, crops('hatsune_miku', 'test', 1))).content, /Hatsune Miku/);
    await fake.waitFor(
      () => manager.logRecords().some((r) => r.msg === 'shard process died; starting it again' && r.pid === victim),
      30_000,
      'the manager to notice the death',
    );
    await fake.waitFor(() => fake.isServed(second.id), 300_000, 'the restarted process to connect');
    assert.notEqual(pidOf(victimIndex), victim, 'a new process');
    assert.deepEqual(fake.identifiedShards.slice(identifiesBefore), [[shardOf(second.id, 2), 2]]);
    // What was taught there before the kill (in the bot and through the CLI) is all still known.
    assert.match((await postAndWaitForReply(second, crops('izumi_konata', 'test', 2).slice(1))).content, /konata/i);
    const listed = await fake.reply(fake.slash('characters', {}, { channelId: second.channels.general.id }), 60_000);
    assert.match(
      listed.content + JSON.stringify(listed.embeds),
      /Hatsune Miku[\s\S]*konata|konata[\s\S]*Hatsune Miku/i,
    );
    assert.ok(manager.running, 'the manager is still running');
    assert.ok(!manager.output().includes(TOKEN), 'the token is never logged, by the manager or a shard process');
    assert.ok(!fake.everythingTheBotSent().includes(TOKEN), 'nor sent anywhere but the Authorization header');
  });
});
