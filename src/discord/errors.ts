/** What a fan sees when something goes wrong: one mapping from errors to friendly words. */
import { UserFacingError } from '../services/errors.ts';

/** Throw one (or a subclass) for a message meant for the person who asked; it is shown as it is. */
export { UserFacingError };

export const GENERIC_FAILURE =
  "Oops, something went wrong on my side and I couldn't finish that. Please try again in a little while!";

/**
 * The text to show for an error, and whether it is worth logging as a fault of ours. Matched by type:
 * every error written for a fan (a full queue, refused input, an unreadable image) is a UserFacingError.
 */
export function describeError(error: unknown): { message: string; expected: boolean } {
  if (error instanceof UserFacingError && error.message) return { message: error.message, expected: true };
  return { message: GENERIC_FAILURE, expected: false };
}
