/**
 * The replies of /roster: the packs a server can add, and what adding or removing one did. Each fits
 * Discord's 2,000 characters however many packs or names there are: long lists end in "and N more".
 */
import { escapeMarkdown } from 'discord.js';
import type { RosterAdd, RosterEntry, RosterRemove } from '../../services/packs/roster.ts';

/** Discord's limit on a message's text. */
export const MAX_CONTENT_LENGTH = 2000;
/** Discord's limit on an autocomplete choice's name and value. */
const MAX_CHOICE_LENGTH = 100;
/** Room kept for a list of names inside one reply, beside its other sentences. */
const NAMES_BUDGET = 1200;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const bold = (text: string) => `**${escapeMarkdown(text)}**`;

/**
 * "**A**, **B** and **C**", or as many names as fit in `budget` characters followed by "and N more".
 * Always names at least one.
 */
export function namesWithin(names: string[], budget = NAMES_BUDGET): string {
  if (names.length === 0) return '';
  const shown: string[] = [];
  let length = 0;
  for (const [i, name] of names.entries()) {
    const item = bold(name);
    const rest = names.length - i - 1;
    // Room for ", " and, unless this is the last, " and N more".
    const tail = rest > 0 ? ` and ${rest} more`.length : 0;
    if (shown.length > 0 && length + 2 + item.length + tail > budget) break;
    shown.push(item);
    length += item.length + 2;
  }
  const more = names.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

function packLine(pack: RosterEntry): string {
  const parts = [
    `${pack.added ? '✅' : '▫️'} ${bold(pack.title)} (\`${pack.id}\`)`,
    plural(pack.characters, 'character'),
    ...(pack.added ? ['added'] : []),
    ...(pack.covered ? [] : ['⚠️ named from taught faces only']),
  ];
  return parts.join(' · ');
}

/** `/roster list`: every installed pack, whether this server added it, and how to add one. */
export function rosterListContent(packs: RosterEntry[]): string {
  if (packs.length === 0) {
    return 'No roster packs are installed on this bot yet. You can still teach me characters with `/teach`! ✨';
  }
  const added = packs.filter((p) => p.added).length;
  const header = `📚 **Roster packs** · ${added} of ${packs.length} added in this server`;
  const footer =
    added === packs.length
      ? '-# Every pack is added. `/roster remove` takes one away; what you taught stays.'
      : "-# Add one with `/roster add pack:` and I'll name its characters at once.";
  const lines: string[] = [];
  // Added packs first, then by title: the list a server reads most.
  const ordered = [...packs].sort((a, b) => Number(b.added) - Number(a.added) || a.title.localeCompare(b.title));
  let length = header.length + footer.length + 2;
  for (const [i, pack] of ordered.entries()) {
    const line = packLine(pack);
    const more = `…and ${ordered.length - i} more: type in \`/roster add pack:\` to find them.`;
    if (length + line.length + 1 + more.length + 1 > MAX_CONTENT_LENGTH) {
      lines.push(more);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return [header, ...lines, footer].join('\n');
}

/** `/roster add`: what came in, which of the server's own characters joined it, and any caveat. */
export function rosterAddedContent(added: RosterAdd): string {
  const { pack } = added;
  const lines = [
    pack.covered
      ? `✅ Added ${bold(pack.title)}: ${plural(pack.characters, 'character')}. Post a screenshot and I'll name them!`
      : `✅ Added ${bold(pack.title)}: ${plural(pack.characters, 'character')}.`,
  ];
  if (added.linked.length > 0) {
    lines.push(`🔗 Already here, and now part of it with every face you taught: ${namesWithin(added.linked)}.`);
  }
  if (!pack.covered) {
    lines.push(
      "⚠️ This pack has no face references for the embedder I use now, so I'll name its characters only from faces you teach (`/teach`).",
    );
  }
  return lines.join('\n');
}

/** `/roster remove`: what went, and that everyone people taught or corrected stayed. */
export function rosterRemovedContent(removed: RosterRemove): string {
  const lines = [
    `🗑️ Removed ${bold(removed.pack.title)} from this server: ${plural(removed.removed, 'character')} went.`,
  ];
  lines.push(
    removed.kept.length > 0
      ? `Everyone you taught or corrected stays, with every face: ${namesWithin(removed.kept)}.`
      : 'None of its characters had been taught or corrected here, so nothing else changed.',
  );
  return lines.join('\n');
}

/**
 * An autocomplete choice for a pack: "Title · 190 characters", with "added" on those the server has
 * (on `remove`, the ones it can take away). Only the title is shortened to fit Discord's 100 characters.
 */
export function packChoice(pack: RosterEntry, markAdded: string): { name: string; value: string } {
  const suffix = ` · ${plural(pack.characters, 'character')}${pack.added ? ` · ${markAdded}` : ''}`;
  const room = MAX_CHOICE_LENGTH - suffix.length;
  const title = pack.title.length <= room ? pack.title : `${pack.title.slice(0, room - 1)}…`;
  return { name: `${title}${suffix}`, value: pack.id };
}
