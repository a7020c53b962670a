import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeCustomId,
  encodeCustomId,
  faceIdsInComponents,
  MAX_CHARACTER_NAME_LENGTH,
  MAX_CUSTOM_ID_LENGTH,
} from '../../../src/discord/custom-ids.ts';

test('face and gallery states round-trip through the custom id', () => {
  for (const state of [
    { kind: 'face', action: 'confirm', faceId: 42 },
    { kind: 'face', action: 'named', faceId: 1 },
    { kind: 'gallery', page: 3, character: 'Amami Haruka' },
    { kind: 'gallery', page: 0, character: 'Shiki: the "gifted" one' },
  ] as const) {
    assert.deepEqual(decodeCustomId(encodeCustomId(state)), state);
  }
  assert.equal(encodeCustomId({ kind: 'face', action: 'pick', faceId: 7 }), 'face:pick:7');
});

test('the longest character name still fits in a gallery custom id', () => {
  const id = encodeCustomId({ kind: 'gallery', page: 99999, character: 'x'.repeat(MAX_CHARACTER_NAME_LENGTH) });
  assert.ok(id.length <= MAX_CUSTOM_ID_LENGTH);
  assert.throws(() => encodeCustomId({ kind: 'gallery', page: 0, character: 'x'.repeat(100) }), RangeError);
});

test('ids the bot did not make decode to undefined', () => {
  for (const id of [
    '',
    'face:explode:1',
    'face:confirm:',
    'face:confirm:1x',
    'gallery::x',
    'gallery:1:',
    'other:thing',
  ]) {
    assert.equal(decodeCustomId(id), undefined, id);
  }
});

test('the faces of a reply are read back from its components, once each, in order', () => {
  assert.deepEqual(
    faceIdsInComponents(['face:confirm:5', 'face:other:5', 'face:pick:9', 'gallery:1:x', 'face:none:5']),
    [5, 9],
  );
});
