import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueFullError } from '../../../src/services/errors.ts';
import { userMessages } from '../../../src/services/user-messages.ts';
import { describeError, GENERIC_FAILURE, UserFacingError } from '../../../src/discord/errors.ts';
import { tagReplyComponents, tagReplyContent, type FaceSummary } from '../../../src/discord/views/tag-reply.ts';

const face = (faceId: number, label: string | null, confidence = 0.9): FaceSummary => ({
  faceId,
  label,
  confidence,
  candidates: [
    { label: label ?? 'Haruka', score: confidence },
    { label: 'Chihaya', score: 0.05 },
    { label: 'Miki', score: 0.03 },
  ],
});
const ids = (rows: ReturnType<typeof tagReplyComponents>) =>
  rows.map((row) => row.toJSON().components.map((c: any) => c.custom_id));

test('one face: a row of buttons and a menu of the other candidates', () => {
  const rows = tagReplyComponents([face(7, 'Haruka')]);
  assert.deepEqual(ids(rows), [['face:confirm:7', 'face:other:7', 'face:none:7'], ['face:pick:7']]);
  const menu = rows[1].toJSON().components[0] as any;
  assert.deepEqual(
    menu.options.map((o: any) => o.value),
    ['c:Chihaya', 'c:Miki'],
    'the current name is not offered again',
  );
  assert.match(tagReplyContent([face(7, 'Haruka')]), /\*\*Haruka\*\* — 90% sure/);
});

test('three to five faces: one menu each, holding every action', () => {
  const rows = tagReplyComponents([face(1, 'Haruka'), face(2, null, 0.2), face(3, 'Miki')]);
  assert.deepEqual(ids(rows), [['face:pick:1'], ['face:pick:2'], ['face:pick:3']]);
  const unknown = rows[1].toJSON().components[0] as any;
  assert.ok(!unknown.options.some((o: any) => o.value === 'confirm'), 'nothing to confirm on an unknown face');
  assert.ok(
    unknown.options.some((o: any) => o.value === 'other') && unknown.options.some((o: any) => o.value === 'none'),
  );
});

test('more than five faces: the five most confident get controls, the rest are counted', () => {
  const faces = Array.from({ length: 7 }, (_, i) => face(i + 1, `Idol ${i + 1}`, (i + 1) / 10));
  assert.equal(tagReplyComponents(faces).length, 5);
  const content = tagReplyContent(faces, 2);
  assert.match(content, /I found 5 faces/);
  assert.match(content, /…and 2 more faces/);
  assert.ok(!content.includes('Idol 1**'), 'the least confident face is left out');
});

test('corrected faces read as such', () => {
  assert.match(tagReplyContent([{ ...face(1, 'Haruka'), labelSource: 'confirmed' }]), /✅ confirmed/);
  assert.match(tagReplyContent([{ ...face(1, null), labelSource: 'not_character' }]), /not a character/);
});

test('errors become friendly words; unknown ones never show their message', () => {
  assert.equal(describeError(new QueueFullError(50)).message, userMessages.queueFull);
  assert.equal(describeError(new UserFacingError('Too big!')).message, 'Too big!');
  const crash = describeError(new TypeError("Cannot read properties of undefined (reading 'x')"));
  assert.deepEqual(crash, { message: GENERIC_FAILURE, expected: false });
});
