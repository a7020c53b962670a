import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeError, GENERIC_FAILURE } from '../../../src/discord/errors.ts';
import {
  ImageInputError,
  QueueFullError,
  TrainingBusyError,
  UserFacingError,
  UserInputError,
} from '../../../src/services/errors.ts';

test('every error written for a fan is shown as it is, and logs under its own class name', () => {
  const written = [
    new UserInputError('Those are the same character.'),
    new ImageInputError('That image is too small to hold a face.', 'too_small'),
    new QueueFullError(50),
    new TrainingBusyError(),
  ];
  for (const error of written) {
    assert.ok(error instanceof UserFacingError, error.name);
    assert.equal(error.name, error.constructor.name);
    assert.deepEqual(describeError(error), { message: error.message, expected: true });
  }
});

test('a user-facing error is matched by its type, whatever its name says', () => {
  class RenamedInputError extends UserInputError {}
  const renamed = new RenamedInputError('Pick a name for this face first!');
  renamed.name = 'SomethingElseEntirely';
  assert.deepEqual(describeError(renamed), { message: 'Pick a name for this face first!', expected: true });
});

test('an error that is not written for a fan gets the generic sorry, even under a friendly name', () => {
  const impostor = new Error('SQLITE_BUSY: database is locked');
  impostor.name = 'UserInputError';
  const generic = { message: GENERIC_FAILURE, expected: false };
  assert.deepEqual(describeError(impostor), generic);
  assert.deepEqual(describeError(new TypeError("Cannot read properties of undefined (reading 'x')")), generic);
  assert.deepEqual(describeError('a thrown string'), generic);
  assert.deepEqual(describeError(new UserFacingError('')), generic);
});
