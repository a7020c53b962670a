import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBotSettings, SettingsError } from '../../../src/config.ts';
import { clientShardOptions, spreadShards } from '../../../src/discord/sharding.ts';

const base = { DISCORD_TOKEN: 't' };

test('sharding is on by default: every shard Discord recommends, in one process', () => {
  const { sharding } = loadBotSettings(base);
  assert.deepEqual(sharding, { shards: 'auto', processes: 1, slice: undefined });
  assert.deepEqual(clientShardOptions(sharding), { shards: 'auto' });
});

test('a shard count, processes, and a fixed slice for one host of several', () => {
  const counted = loadBotSettings({ ...base, IDOLTAG_SHARDS: '3', IDOLTAG_PROCESSES: '2' }).sharding;
  assert.deepEqual(counted, { shards: 3, processes: 2, slice: undefined });
  assert.deepEqual(clientShardOptions(counted), { shards: [0, 1, 2], shardCount: 3 });
  const slice = loadBotSettings({ ...base, IDOLTAG_SHARD_IDS: '6, 2,2', IDOLTAG_SHARD_COUNT: '8' }).sharding;
  assert.deepEqual(slice.slice, { ids: [2, 6], count: 8 });
  assert.deepEqual(clientShardOptions(slice), { shards: [2, 6], shardCount: 8 });
});

test('wrong sharding settings are named, with how to fix them', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadBotSettings({ ...base, ...env });
    } catch (error) {
      assert.ok(error instanceof SettingsError);
      return error.message;
    }
    assert.fail('expected a SettingsError');
  };
  assert.match(problems({ IDOLTAG_SHARDS: 'many' }), /IDOLTAG_SHARDS must be auto or a number of shards/);
  assert.match(problems({ IDOLTAG_PROCESSES: '0' }), /IDOLTAG_PROCESSES/);
  assert.match(problems({ IDOLTAG_SHARD_IDS: '0,1' }), /IDOLTAG_SHARD_COUNT is needed with IDOLTAG_SHARD_IDS/);
  assert.match(problems({ IDOLTAG_SHARD_COUNT: '4' }), /IDOLTAG_SHARD_IDS is needed with IDOLTAG_SHARD_COUNT/);
  assert.match(
    problems({ IDOLTAG_SHARD_IDS: '0,4', IDOLTAG_SHARD_COUNT: '4' }),
    /must be below IDOLTAG_SHARD_COUNT \(4\)/,
  );
  assert.match(problems({ IDOLTAG_SHARD_IDS: 'zero', IDOLTAG_SHARD_COUNT: '4' }), /separated by commas/);
});

test('shards are dealt out to processes in turn; never more processes than shards', () => {
  assert.deepEqual(spreadShards([0, 1, 2, 3, 4], 2), [
    [0, 2, 4],
    [1, 3],
  ]);
  assert.deepEqual(spreadShards([2, 6], 2), [[2], [6]]);
  assert.throws(() => spreadShards([0], 2), /each process needs at least one shard/);
});
