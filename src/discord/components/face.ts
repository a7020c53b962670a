/**
 * Corrections on a tagged screenshot: confirm, pick another character, name someone new in a
 * modal, or "not a character". Each one is stored by the services (who and when), which refit the
 * head; then the reply is rebuilt from the faces named in its own components.
 */
import {
  LabelBuilder,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type Message,
  type MessageComponentInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import type { BotContext } from '../context.ts';
import { faceCustomId, faceIdsInComponents, MAX_CHARACTER_NAME_LENGTH, type ComponentState } from '../custom-ids.ts';
import { cleanCharacterName } from '../character-names.ts';
import { UserFacingError } from '../errors.ts';
import type { FaceView } from '../../services/index.ts';
import { SELECT_VALUE, tagReplyComponents, tagReplyContent } from '../views/tag-reply.ts';

type FaceState = Extract<ComponentState, { kind: 'face' }>;
type Correction = { kind: 'confirm' } | { kind: 'none' } | { kind: 'relabel'; character: string };

export const NAME_FIELD = 'character';

export async function handleFaceComponent(
  interaction: MessageComponentInteraction | ModalSubmitInteraction,
  state: FaceState,
  ctx: BotContext,
): Promise<void> {
  const correction = await correctionFor(interaction, state);
  if (!correction) return; // a modal was shown instead
  await applyCorrection(interaction, state.faceId, correction, ctx);
}

/** What the click, pick or form asks for; undefined when the answer is a modal to fill in first. */
async function correctionFor(
  interaction: MessageComponentInteraction | ModalSubmitInteraction,
  state: FaceState,
): Promise<Correction | undefined> {
  if (interaction.isModalSubmit()) {
    return { kind: 'relabel', character: cleanCharacterName(interaction.fields.getTextInputValue(NAME_FIELD)) };
  }
  // A button's action and a menu's value share their words: confirm, other, none.
  const choice = interaction.isStringSelectMenu() ? interaction.values[0] : state.action;
  if (choice === SELECT_VALUE.other) {
    await interaction.showModal(nameModal(state.faceId));
    return undefined;
  }
  if (choice === SELECT_VALUE.confirm) return { kind: 'confirm' };
  if (choice === SELECT_VALUE.none) return { kind: 'none' };
  if (choice?.startsWith(SELECT_VALUE.characterPrefix)) {
    return { kind: 'relabel', character: cleanCharacterName(choice.slice(SELECT_VALUE.characterPrefix.length)) };
  }
  throw new UserFacingError("I didn't understand that choice. Could you try again?");
}

function nameModal(faceId: number): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(faceCustomId('named', faceId))
    .setTitle('Who is this?')
    .addLabelComponents(
      new LabelBuilder()
        .setLabel("Character's name")
        .setDescription("If I don't know them yet, I'll add them as a new character.")
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId(NAME_FIELD)
            .setStyle(TextInputStyle.Short)
            .setPlaceholder('e.g. Haruka Amami')
            .setMinLength(1)
            .setMaxLength(MAX_CHARACTER_NAME_LENGTH)
            .setRequired(true),
        ),
    );
}

async function applyCorrection(
  interaction: MessageComponentInteraction | ModalSubmitInteraction,
  faceId: number,
  correction: Correction,
  ctx: BotContext,
): Promise<void> {
  const guildId = interaction.guildId;
  const message = interaction.message;
  if (!guildId || !message) throw new UserFacingError('I can only take corrections on a tagged screenshot.');
  await interaction.deferUpdate();
  const by = interaction.user.id;
  const { corrections } = ctx.services;
  if (!corrections.faceView(guildId, faceId)) {
    throw new UserFacingError("I can't find that face anymore. Maybe its character was deleted?");
  }
  const view =
    correction.kind === 'confirm'
      ? await corrections.confirm(guildId, faceId, by)
      : correction.kind === 'none'
        ? await corrections.notACharacter(guildId, faceId, by)
        : await corrections.relabel(guildId, faceId, correction.character, by);
  const thanks =
    correction.kind === 'none'
      ? `-# Got it, <@${by}>: that one isn't a character. Thanks!`
      : `-# Thanks, <@${by}>! I'll remember that this is **${view.label}**.`;
  const faces = facesOfReply(message, guildId, ctx);
  await interaction.editReply({
    content: tagReplyContent(faces, hiddenFaces(faces, guildId, ctx), thanks),
    components: tagReplyComponents(faces),
    allowedMentions: { parse: [] },
  });
  ctx.logger.info({ guildId, faceId, correction: correction.kind, by }, 'face corrected');
}

/** The faces a tag reply is about, as they are stored now, in the order the reply lists them. */
function facesOfReply(message: Message, guildId: string, ctx: BotContext): FaceView[] {
  const faceIds = faceIdsInComponents(customIdsOf(message.components));
  return faceIds.flatMap((id) => {
    const view = ctx.services.corrections.faceView(guildId, id);
    return view ? [view] : [];
  });
}

function customIdsOf(components: readonly unknown[]): string[] {
  const ids: string[] = [];
  const visit = (component: any) => {
    if (typeof component?.customId === 'string') ids.push(component.customId);
    for (const child of component?.components ?? []) visit(child);
  };
  components.forEach(visit);
  return ids;
}

/** The faces of the screenshot that the reply leaves out, counted from the store. */
function hiddenFaces(shown: FaceView[], guildId: string, ctx: BotContext): number {
  if (shown.length === 0) return 0;
  return Math.max(0, ctx.services.corrections.faceCountOfImage(guildId, shown[0].imageId) - shown.length);
}
