/**
 * Sentences the services write for the person who asked, each written once: the bot and the CLI
 * show them as they are, and tests compare against these rather than copies.
 */
export const userMessages = {
  /** A person's request was refused because the job queue is full. */
  queueFull: "I'm looking at a lot of pictures right now! Please try again in a moment. 🙏",
  /** A picture given to teach from held no face the detectors could find. */
  noFaceFound: "I couldn't find a face in this one.",
} as const;
