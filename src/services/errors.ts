/**
 * Every error the services throw whose message a person may see. Each extends `UserFacingError`, so
 * adapters match them with `instanceof UserFacingError` (or a subclass), never by their `name`.
 */
import { UserFacingError } from '../core/user-facing-error.ts';
import { userMessages } from './user-messages.ts';

export { UserFacingError };
export { ImageInputError } from '../core/decode.ts';

/** Input a person gave that the services refuse (an unknown name, a face that is gone); says why. */
export class UserInputError extends UserFacingError {}

/** Thrown when the queue already holds its maximum; people are asked to try again in a moment. */
export class QueueFullError extends UserFacingError {
  constructor(readonly limit: number) {
    super(userMessages.queueFull);
  }
}

/** An embedder training is already running somewhere on this data folder; one at a time (training-lock.ts). */
export class TrainingBusyError extends UserFacingError {
  constructor() {
    super('An embedder training is already running.');
  }
}
