/**
 * Component state lives in the custom id, so buttons, menus and modals keep working after a
 * restart: no in-memory session is needed to answer a click.
 *
 *   face:<action>:<faceId>        a correction on one face
 *   gallery:<page>:<character>    "show this page of the gallery"
 */

export const FACE_ACTIONS = ['confirm', 'pick', 'other', 'none', 'named'] as const;
export type FaceAction = (typeof FACE_ACTIONS)[number];

export type ComponentState =
  | { kind: 'face'; action: FaceAction; faceId: number }
  | { kind: 'gallery'; page: number; character: string };

/** Discord's limit for a custom id. */
export const MAX_CUSTOM_ID_LENGTH = 100;
/** The longest character name that still fits in a gallery custom id. */
export const MAX_CHARACTER_NAME_LENGTH = 64;

export function encodeCustomId(state: ComponentState): string {
  const id =
    state.kind === 'face' ? `face:${state.action}:${state.faceId}` : `gallery:${state.page}:${state.character}`;
  if (id.length > MAX_CUSTOM_ID_LENGTH) throw new RangeError(`custom id too long (${id.length}): ${id.slice(0, 40)}…`);
  return id;
}

export const faceCustomId = (action: FaceAction, faceId: number) => encodeCustomId({ kind: 'face', action, faceId });
export const galleryCustomId = (page: number, character: string) =>
  encodeCustomId({ kind: 'gallery', page, character });

/** Undefined for anything this bot did not make (or an older, unknown shape). */
export function decodeCustomId(customId: string): ComponentState | undefined {
  const face = customId.match(/^face:([a-z]+):(\d{1,15})$/);
  if (face) {
    const action = FACE_ACTIONS.find((a) => a === face[1]);
    return action ? { kind: 'face', action, faceId: Number(face[2]) } : undefined;
  }
  const gallery = customId.match(/^gallery:(\d{1,6}):(.+)$/s);
  if (gallery) return { kind: 'gallery', page: Number(gallery[1]), character: gallery[2] };
  return undefined;
}

/** Every face id named by the components of a message: the faces a tag reply is about. */
export function faceIdsInComponents(customIds: Iterable<string>): number[] {
  const ids = new Set<number>();
  for (const customId of customIds) {
    const state = decodeCustomId(customId);
    if (state?.kind === 'face') ids.add(state.faceId);
  }
  return [...ids];
}
