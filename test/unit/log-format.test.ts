import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuntimeSettings } from '../../src/config.ts';
import { readableLine } from '../../src/log.ts';

const at = Date.UTC(2026, 11, 5, 6, 29, 17);
const clock = new Date(at).toTimeString().slice(0, 8);

describe('log lines on a terminal', () => {
  it('read as time, level, message and key=value fields', () => {
    const json = `${JSON.stringify({ level: 30, time: at, provider: 'cpu', threads: 'default', msg: 'onnxruntime execution provider' })}\n`;
    assert.equal(readableLine(json), `${clock} INFO  onnxruntime execution provider provider=cpu threads=default\n`);
  });

  it('quote text with spaces and keep numbers, lists and objects as JSON', () => {
    const json = JSON.stringify({
      level: 40,
      time: at,
      msg: 'slow',
      guild: 'a b',
      ms: 12.5,
      shards: [0, 1],
      run: { id: 3 },
    });
    assert.equal(readableLine(json), `${clock} WARN  slow guild="a b" ms=12.5 shards=[0,1] run={"id":3}\n`);
  });

  it("put an error's stack on the lines below", () => {
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at main (x.ts:1:1)' };
    assert.equal(
      readableLine(JSON.stringify({ level: 50, time: at, msg: 'failed', err })),
      `${clock} ERROR failed\n    Error: boom\n        at main (x.ts:1:1)\n`,
    );
    const bare = { level: 50, time: at, msg: 'failed', err: { message: 'no stack here' } };
    assert.equal(readableLine(JSON.stringify(bare)), `${clock} ERROR failed err="no stack here"\n`);
    const text = { level: 50, time: at, msg: 'failed', err: 'timed out' };
    assert.equal(readableLine(JSON.stringify(text)), `${clock} ERROR failed err="timed out"\n`);
  });

  it('leave a line that is not JSON as it is', () => {
    assert.equal(readableLine('plain text\n'), 'plain text\n');
    assert.equal(readableLine('42'), '42');
  });
});

describe('IDOLTAG_LOG_FORMAT', () => {
  it('is auto unless set, and names a bad value', () => {
    assert.equal(loadRuntimeSettings({}).logFormat, 'auto');
    assert.equal(loadRuntimeSettings({ IDOLTAG_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(
      () => loadRuntimeSettings({ IDOLTAG_LOG_FORMAT: 'pretty' }),
      /IDOLTAG_LOG_FORMAT must be one of auto, json, text/,
    );
  });
});
