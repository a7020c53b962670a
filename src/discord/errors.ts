/** What a fan sees when something goes wrong: one mapping from errors to friendly words. */

/** An error whose message is written for the person who asked; shown as it is. */
export class UserFacingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserFacingError';
  }
}

export const BUSY_MESSAGE = "I'm looking at a lot of pictures right now! Please try again in a moment. 🙏";
export const GENERIC_FAILURE =
  "Oops, something went wrong on my side and I couldn't finish that. Please try again in a little while!";

/** Errors from the layers below whose messages are already written for a fan. */
const FRIENDLY_ERROR_NAMES = new Set(['UserFacingError', 'UserInputError', 'ImageInputError']);

export function isQueueFull(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'QueueFullError' || (error as { code?: string }).code === 'QUEUE_FULL')
  );
}

/** The text to show for an error, and whether it is worth logging as a fault of ours. */
export function describeError(error: unknown): { message: string; expected: boolean } {
  if (isQueueFull(error)) return { message: BUSY_MESSAGE, expected: true };
  if (error instanceof Error && FRIENDLY_ERROR_NAMES.has(error.name) && error.message) {
    return { message: error.message, expected: true };
  }
  return { message: GENERIC_FAILURE, expected: false };
}
