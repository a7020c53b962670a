/**
 * The reply to a screenshot: who is in it, how sure, and per face the controls to set it right.
 * Built from plain face data, so the same view is rebuilt after every correction.
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  StringSelectMenuBuilder,
  StringSelectMenuOptionBuilder,
  type MessageActionRowComponentBuilder,
} from 'discord.js';
import { faceCustomId } from '../custom-ids.ts';

export interface FaceSummary {
  faceId: number;
  label: string | null;
  confidence: number;
  candidates: Array<{ label: string; score: number }>;
  labelSource?: 'predicted' | 'confirmed' | 'corrected' | 'taught' | 'not_character' | null;
}

/** Discord allows 5 component rows; faces past this many get no controls and are not listed. */
export const MAX_FACES_WITH_CONTROLS = 5;
/** Up to this many faces, each gets a row of buttons plus a row with a menu; past it, one menu each. */
const ROOMY_LAYOUT_MAX_FACES = 2;

export const SELECT_VALUE = { confirm: 'confirm', other: 'other', none: 'none', characterPrefix: 'c:' } as const;

const percent = (score: number) => `${Math.round(score * 100)}%`;
const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The faces a reply shows: the most confident first when there are too many to show all. */
export function facesToShow<T extends FaceSummary>(faces: T[]): T[] {
  if (faces.length <= MAX_FACES_WITH_CONTROLS) return faces;
  return [...faces].sort((a, b) => b.confidence - a.confidence).slice(0, MAX_FACES_WITH_CONTROLS);
}

function describeFace(face: FaceSummary): string {
  const name = face.label ? `**${face.label}**` : '';
  switch (face.labelSource) {
    case 'not_character':
      return '~~a face~~ — 🚫 not a character';
    case 'confirmed':
      return `${name} — ✅ confirmed`;
    case 'corrected':
    case 'taught':
      return `${name} — ✏️ set by a producer`;
    default: {
      if (face.label) return `${name} — ${percent(face.confidence)} sure`;
      const closest = face.candidates[0];
      return closest
        ? `someone I don't know yet (closest: ${closest.label}, ${percent(closest.score)})`
        : "someone I don't know yet";
    }
  }
}

export function tagReplyContent(faces: FaceSummary[], hiddenFaces = 0, note?: string): string {
  const shown = facesToShow(faces);
  const lines = shown.map((face, i) => (shown.length > 1 ? `**${i + 1}.** ` : '') + describeFace(face));
  const known = shown.filter((f) => f.label && f.labelSource !== 'not_character').length;
  const header =
    shown.length === 1
      ? known
        ? "Here's who I see:"
        : "I found a face, but I'm not sure who it is yet:"
      : `I found ${shown.length} faces:`;
  const parts = [header, ...lines];
  if (hiddenFaces > 0)
    parts.push(`…and ${hiddenFaces} more face${hiddenFaces === 1 ? '' : 's'} I'll leave out to keep things tidy.`);
  parts.push(note ?? '-# Not quite right? Use the controls below to correct me; I learn from every fix!');
  return parts.join('\n');
}

function candidateOptions(face: FaceSummary, max: number): StringSelectMenuOptionBuilder[] {
  const seen = new Set<string>();
  const options: StringSelectMenuOptionBuilder[] = [];
  for (const candidate of face.candidates) {
    if (options.length >= max) break;
    if (candidate.label === face.label && face.labelSource !== 'not_character') continue;
    if (seen.has(candidate.label)) continue;
    seen.add(candidate.label);
    options.push(
      new StringSelectMenuOptionBuilder()
        .setLabel(truncate(candidate.label, 100))
        .setValue(`${SELECT_VALUE.characterPrefix}${candidate.label}`)
        .setDescription(`${percent(candidate.score)} match`),
    );
  }
  return options;
}

export function tagReplyComponents(faces: FaceSummary[]): ActionRowBuilder<MessageActionRowComponentBuilder>[] {
  const shown = facesToShow(faces);
  const numbered = shown.length > 1;
  const rows: ActionRowBuilder<MessageActionRowComponentBuilder>[] = [];
  shown.forEach((face, i) => {
    const tag = numbered ? `#${i + 1} ` : '';
    const canConfirm = face.label !== null && face.labelSource !== 'not_character';
    if (shown.length <= ROOMY_LAYOUT_MAX_FACES) {
      rows.push(
        new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
          new ButtonBuilder()
            .setCustomId(faceCustomId('confirm', face.faceId))
            .setStyle(ButtonStyle.Success)
            .setEmoji('✅')
            .setLabel(truncate(canConfirm ? `${tag}Yes, ${face.label}` : `${tag}Yes`, 80))
            .setDisabled(!canConfirm || face.labelSource === 'confirmed'),
          new ButtonBuilder()
            .setCustomId(faceCustomId('other', face.faceId))
            .setStyle(ButtonStyle.Secondary)
            .setEmoji('✏️')
            .setLabel(`${tag}Someone else…`),
          new ButtonBuilder()
            .setCustomId(faceCustomId('none', face.faceId))
            .setStyle(ButtonStyle.Secondary)
            .setEmoji('🚫')
            .setLabel(`${tag}Not a character`)
            .setDisabled(face.labelSource === 'not_character'),
        ),
      );
      const options = candidateOptions(face, 25);
      if (options.length > 0) {
        rows.push(
          new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
            new StringSelectMenuBuilder()
              .setCustomId(faceCustomId('pick', face.faceId))
              .setPlaceholder(`${tag}Pick another character…`)
              .addOptions(options),
          ),
        );
      }
      return;
    }
    const options = [
      ...(canConfirm && face.labelSource !== 'confirmed'
        ? [
            new StringSelectMenuOptionBuilder()
              .setLabel(truncate(`Yes, that's ${face.label}`, 100))
              .setValue(SELECT_VALUE.confirm)
              .setEmoji('✅'),
          ]
        : []),
      ...candidateOptions(face, 22),
      new StringSelectMenuOptionBuilder().setLabel('Someone else…').setValue(SELECT_VALUE.other).setEmoji('✏️'),
      new StringSelectMenuOptionBuilder().setLabel('Not a character').setValue(SELECT_VALUE.none).setEmoji('🚫'),
    ];
    rows.push(
      new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
        new StringSelectMenuBuilder()
          .setCustomId(faceCustomId('pick', face.faceId))
          .setPlaceholder(truncate(`${tag}${face.label ?? 'Unknown'}: correct this face…`, 150))
          .addOptions(options),
      ),
    );
  });
  return rows;
}
