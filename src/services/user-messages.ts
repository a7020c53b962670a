/**
 * Sentences the services write for the person who asked, each written once: the bot and the CLI
 * show them as they are, and tests compare against these rather than copies.
 */
export const userMessages = {
  /** A person's request was refused because the job queue is full. */
  queueFull: "I'm looking at a lot of pictures right now! Please try again in a moment. 🙏",
  /** A picture given to teach from held no face the detectors could find. */
  noFaceFound: "I couldn't find a face in this one.",
  /** Before an embedder training, when guilds use roster packs (a trained embedder has no references in them). */
  packsAfterTraining: (titles: string[]) =>
    `Roster packs in use (${titles.join(', ')}) hold references for the shipped embedder only. If the trained ` +
    'embedder is swapped in, their characters are named from the faces people taught until the packs are rebuilt ' +
    'for it (idoltag roster build).',
} as const;
