import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_CONTENT_LENGTH,
  namesWithin,
  packChoice,
  rosterAddedContent,
  rosterListContent,
  rosterRemovedContent,
} from '../../../src/discord/views/roster.ts';
import type { RosterEntry } from '../../../src/services/packs/roster.ts';

const CG = 'THE iDOLM@STER Cinderella Girls';
const pack = (fields: Partial<RosterEntry> = {}): RosterEntry => ({
  id: 'cinderella-girls',
  title: CG,
  franchise: 'iM@S CG',
  characters: 190,
  origin: 'shipped',
  added: false,
  covered: true,
  ...fields,
});
const idols = (n: number) => Array.from({ length: n }, (_, i) => `Idol Number ${i + 1}`);

test('names: all of a short list, joined with "and"; a long one ends in "and N more" within its budget', () => {
  assert.equal(namesWithin(['Kaede']), '**Kaede**');
  assert.equal(namesWithin(['Kaede', 'Miki', 'Rin']), '**Kaede**, **Miki** and **Rin**');
  const long = namesWithin(idols(300), 200);
  assert.ok(long.length <= 200, `${long.length} characters`);
  const shown = long.match(/\*\*/g)!.length / 2;
  assert.match(long, new RegExp(` and ${300 - shown} more$`));
  assert.equal(namesWithin(['A very long name indeed'], 5), '**A very long name indeed**', 'at least one');
  assert.equal(namesWithin(['Shiki_Ichinose*']), '**Shiki\\_Ichinose\\***', 'markdown in a name is escaped');
});

test('/roster list: added first, each with its count, a hint to add; hundreds of packs still fit', () => {
  const content = rosterListContent([
    pack({ id: 'sekai', title: 'Project Sekai', characters: 26 }),
    pack({ added: true }),
    pack({ id: 'mine', title: 'Our Server', characters: 3, covered: false }),
  ]);
  const lines = content.split('\n');
  assert.match(lines[0], /1 of 3 added/);
  assert.match(lines[1], /✅ \*\*THE iDOLM@STER Cinderella Girls\*\* \(`cinderella-girls`\) · 190 characters · added/);
  assert.match(content, /▫️ \*\*Project Sekai\*\* \(`sekai`\) · 26 characters/);
  assert.match(content, /Our Server.*taught faces only/);
  assert.match(lines.at(-1)!, /\/roster add pack:/);
  const many = rosterListContent(
    Array.from({ length: 400 }, (_, i) => pack({ id: `pack-${i}`, title: `A Rather Long Game Title ${i}` })),
  );
  assert.ok(many.length <= MAX_CONTENT_LENGTH, `${many.length} characters`);
  assert.match(many, /…and \d+ more/);
  assert.match(rosterListContent([]), /No roster packs are installed/);
});

test('/roster add: the count, a nudge to post, linked names, and a note when the pack cannot name faces', () => {
  const added = rosterAddedContent({ pack: pack({ added: true }), linked: [], created: 190, fitMs: 0, ms: 900 });
  assert.equal(added, `✅ Added **${CG}**: 190 characters. Post a screenshot and I'll name them!`);
  const linked = rosterAddedContent({
    pack: pack({ added: true }),
    linked: ['Takagaki Kaede'],
    created: 189,
    fitMs: 0,
    ms: 900,
  });
  assert.match(linked, /now part of it.*\*\*Takagaki Kaede\*\*/);
  const uncovered = rosterAddedContent({
    pack: pack({ added: true, covered: false }),
    linked: idols(400),
    created: 0,
    fitMs: 0,
    ms: 900,
  });
  assert.doesNotMatch(uncovered, /I'll name them!/);
  assert.match(uncovered, /only from faces you teach/);
  assert.ok(uncovered.length <= MAX_CONTENT_LENGTH, `${uncovered.length} characters`);
});

test('/roster remove: what went, who stayed (truncated), or that nothing taught was in it', () => {
  const kept = rosterRemovedContent({ pack: pack(), kept: idols(500), removed: 12 });
  assert.match(kept, /Removed \*\*THE iDOLM@STER Cinderella Girls\*\* from this server: 12 characters went/);
  assert.match(kept, /taught or corrected stays.*\*\*Idol Number 1\*\*.* and \d+ more\.$/s);
  assert.ok(kept.length <= MAX_CONTENT_LENGTH, `${kept.length} characters`);
  assert.match(rosterRemovedContent({ pack: pack(), kept: [], removed: 1 }), /1 character went\.\n.*nothing else/);
});

test('a pack choice fits 100 characters, keeps its count and id, and says when it is added', () => {
  assert.deepEqual(packChoice(pack(), '✅ added'), { name: `${CG} · 190 characters`, value: 'cinderella-girls' });
  assert.equal(packChoice(pack({ added: true }), '✅ added').name, `${CG} · 190 characters · ✅ added`);
  const long = packChoice(pack({ title: 'x'.repeat(300), added: true }), 'already added');
  assert.equal(long.name.length, 100);
  assert.match(long.name, /x… · 190 characters · already added$/);
});
