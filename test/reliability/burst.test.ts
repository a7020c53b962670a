/**
 * A busy server, end to end: the real bot process against the fake Discord (test/e2e/fake-discord).
 * 200 picture posts land in a watched channel within seconds; every one gets an answer or a
 * "busy, try again" reply, the queue stays within its limit, the bot's memory stays bounded, and
 * the token never shows up in a log line or anything the bot sent. Also checks that the
 * destructive and admin commands are registered for Manage-Server members only.
 *
 *   IDOLTAG_MODEL_MIRROR=../shared/data/models node --import tsx --test test/reliability/burst.test.ts
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { userMessages } from '../../src/services/user-messages.ts';
import { crops, MODEL_MIRROR, screenshot } from '../e2e/data.ts';
import { mirroredModel, sharedData, skipUnless } from '../helpers/prerequisites.ts';
import { BotProcess, botEnv, runScript } from '../e2e/fake-discord/bot-process.ts';
import type { ApiMessage } from '../e2e/fake-discord/payloads.ts';
import { FakeDiscord, type AttachmentInput } from '../e2e/fake-discord/server.ts';
import { vmRss } from './helpers.ts';

const TOKEN = 'burst-token-QnVyc3RUb2tlbi5zZWNyZXQ-NEVER-LEAK';
const POSTS = 200;
// 200 posts in 2 s: faster than any machine tags them (at least ~25 ms each), so the queue of 50
// must fill and the overflow path is always exercised.
const POST_WINDOW_MS = 2_000;
const QUEUE_LIMIT = 50;
const MEMORY_BOUND = 1.5 * 1024 ** 3;
const MANAGE_GUILD = String(1n << 5n);

const skip = skipUnless(
  'the burst test',
  sharedData('nagadomi10'),
  sharedData('screenshots_syncopika', 'boxes.csv'),
  mirroredModel('mobilenetv2_12_int8'),
);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('a burst of 200 posts in a watched channel', { skip, timeout: 5 * 60_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let dataDir: string;
  let peakRss = 0;
  let rssTimer: NodeJS.Timeout | undefined;

  before(async () => {
    fake = await FakeDiscord.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'idoltag-burst-'));
    const env = botEnv(fake, {
      token: TOKEN,
      dataDir,
      extra: { IDOLTAG_MODEL_MIRROR: MODEL_MIRROR, IDOLTAG_QUEUE_LIMIT: String(QUEUE_LIMIT) },
    });
    const deployed = await runScript('src/discord/deploy-commands.ts', env);
    assert.equal(deployed.code, 0, deployed.output);
    bot = BotProcess.start(env);
    await fake.waitFor(() => fake.sessions > 0 || !bot.running, 90_000, 'the bot to connect');
    await fake.waitFor(() => bot.lines.some((l) => l.includes('idoltag is online')) || !bot.running, 30_000, 'ready');
    assert.ok(bot.running, bot.output());
    // BotProcess keeps its child private; the pid is only read, for /proc/<pid>/status.
    const pid = (bot as unknown as { child: ChildProcess }).child.pid!;
    rssTimer = setInterval(() => (peakRss = Math.max(peakRss, vmRss(pid) ?? 0)), 100);
    const added = await fake.reply(fake.slash('watch add', { channel: fake.channels.screenshots.id }));
    assert.match(added.content, /now watching/);
  });

  after(async () => {
    clearInterval(rssTimer);
    await bot?.stop();
    await fake?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('destructive and admin commands need Manage Server, and only work inside a server', () => {
    const commands = fake.registeredCommands.get(fake.guildId) ?? [];
    const byName = new Map(commands.map((c) => [c.name, c]));
    const character = byName.get('character');
    assert.deepEqual(character.options.map((o: { name: string }) => o.name).sort(), ['delete', 'merge', 'rename']);
    for (const name of ['character', 'roster', 'watch', 'train']) {
      const command = byName.get(name);
      assert.ok(command, `/${name} is registered`);
      assert.equal(command.default_member_permissions, MANAGE_GUILD, `/${name} needs Manage Server by default`);
      // In a DM there are no member permissions to check, so admin commands must not exist there.
      assert.ok(
        command.dm_permission === false ||
          (Array.isArray(command.contexts) && command.contexts.every((c: number) => c === 0)),
        `/${name} is guild-only`,
      );
    }
    for (const name of ['tag', 'gallery', 'characters', 'stats']) {
      assert.ok([null, undefined].includes(byName.get(name)?.default_member_permissions), `/${name} is for everyone`);
    }
  });

  test('every post is answered or refused as busy; the queue, memory and latency stay bounded', async () => {
    // Mostly face crops (always a face: whole-image fallback), every 4th a full screenshot (slow to detect).
    const pictures: AttachmentInput[] = [
      ...crops('hatsune_miku', 'train', 20),
      ...crops('suzumiya_haruhi', 'train', 20),
    ];
    const shots = [screenshot('kyaru15.jpg'), screenshot('aletta7.jpg')];
    const posted: Array<{ id: string; at: number; screenshot: boolean }> = [];
    const answered = new Map<string, { at: number; message: ApiMessage }>();
    const queueSeen: number[] = [];

    const watcher = setInterval(() => {
      const ids = new Set(posted.map((p) => p.id));
      for (const m of fake.messages.values()) {
        const ref = m.message_reference?.message_id;
        if (ref && ids.has(ref) && m.author.id === fake.appId && !answered.has(ref))
          answered.set(ref, { at: Date.now(), message: m });
      }
    }, 20);
    const started = Date.now();
    try {
      for (let i = 0; i < POSTS; i++) {
        const isShot = i % 4 === 3;
        const attachment = isShot ? shots[i % shots.length] : pictures[i % pictures.length];
        const msg = fake.postMessage(fake.channels.screenshots.id, {
          content: `burst ${i}`,
          attachments: [{ ...attachment, filename: `${i}-${attachment.filename}` }],
        });
        posted.push({ id: msg.id, at: Date.now(), screenshot: isShot });
        if (i % 40 === 20) {
          // "Pictures waiting" in /stats is the queue length (waiting + running).
          void fake.reply(fake.slash('stats'), 60_000).then((s) => {
            const field = s.embeds[0]?.fields?.find((f: { name: string }) => f.name === 'Pictures waiting');
            if (field) queueSeen.push(Number(field.value));
          });
        }
        await new Promise((r) => setTimeout(r, POST_WINDOW_MS / POSTS));
      }
      assert.ok(Date.now() - started < 60_000, 'all 200 posted within 60 s');
      await fake.waitFor(
        () => answered.size >= POSTS || !bot.running,
        150_000,
        `replies to all ${POSTS} posts (${answered.size} so far)`,
      );
    } finally {
      clearInterval(watcher);
    }
    assert.ok(bot.running, `the bot is still up:\n${bot.output().slice(-3000)}`);

    const busy = posted.filter((p) => answered.get(p.id)?.message.content === userMessages.queueFull);
    const named = posted.filter(
      (p) => answered.get(p.id) && answered.get(p.id)!.message.content !== userMessages.queueFull,
    );
    assert.equal(busy.length + named.length, POSTS, 'every post got exactly one kind of answer');
    for (const p of named) {
      const reply = answered.get(p.id)!.message;
      assert.equal(reply.attachments.length, 1, `a preview for post ${p.id}: ${reply.content}`);
      assert.ok(reply.components.length > 0, 'with correction controls');
    }
    for (const p of posted) assert.equal(fake.repliesTo(p.id).length, 1, 'exactly one reply per post');
    assert.ok(busy.length > 0, 'the burst outran the queue: some posts were told to try again');
    assert.ok(named.length >= QUEUE_LIMIT, `at least a full queue was worked through (${named.length})`);
    for (const q of queueSeen) assert.ok(q <= QUEUE_LIMIT + 1, `queue length ${q} over its limit`);
    assert.ok(peakRss > 0 && peakRss < MEMORY_BOUND, `bot peak RSS ${(peakRss / 1024 ** 2).toFixed(0)} MiB`);
    assert.ok(!bot.output().includes('"level":50'), 'no errors logged');

    const latency = (list: typeof posted) => list.map((p) => answered.get(p.id)!.at - p.at);
    const namedLatency = latency(named);
    const busyLatency = latency(busy);
    console.log(
      `burst: ${POSTS} posts in ${((posted.at(-1)!.at - started) / 1000).toFixed(1)} s → ${named.length} named, ${busy.length} busy; ` +
        `named p50 ${(percentile(namedLatency, 50) / 1000).toFixed(1)} s, p95 ${(percentile(namedLatency, 95) / 1000).toFixed(1)} s, max ${(Math.max(...namedLatency) / 1000).toFixed(1)} s; ` +
        `busy p95 ${percentile(busyLatency, 95)} ms; queue seen ${queueSeen.join(',') || 'n/a'}; bot peak RSS ${(peakRss / 1024 ** 2).toFixed(0)} MiB`,
    );
  });

  test('the token never appears in the logs, a request body or a reply', () => {
    assert.ok(
      fake.identifyTokens.every((t) => t === TOKEN),
      'the gateway got the real token',
    );
    assert.ok(fake.requests.every((r) => r.authorization === undefined || r.authorization === `Bot ${TOKEN}`));
    assert.ok(bot.lines.length > 0);
    assert.ok(!bot.output().includes(TOKEN), 'the token is in the bot log');
    assert.ok(!fake.everythingTheBotSent().includes(TOKEN), 'the token is in a request');
    assert.ok(![...fake.messages.values()].some((m) => JSON.stringify(m).includes(TOKEN)), 'the token is in a message');
  });
});
