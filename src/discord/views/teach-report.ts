/** The answer to /teach: what was learned, and per picture what was used (with a crop preview). */
import { AttachmentBuilder, EmbedBuilder } from 'discord.js';
import { userMessages } from '../../services/user-messages.ts';
import { imageFileName } from '../tagging.ts';

export interface TaughtImage {
  name: string;
  ok: boolean;
  whole?: boolean;
  facesFound?: number;
  cropPng?: Buffer;
  /** Why the picture was not used, in words for the teacher. */
  error?: string;
}

export function teachReport(character: string, created: boolean, images: TaughtImage[]) {
  const used = images.filter((i) => i.ok).length;
  const content =
    used === 0
      ? `😢 I couldn't learn **${character}** from ${images.length === 1 ? 'that picture' : 'any of those pictures'}. Clear, front-facing faces work best!`
      : [
          created
            ? `✨ Nice to meet you, **${character}**! I've added a new character.`
            : `📚 I've studied more of **${character}**!`,
          `I learned from ${used} of ${images.length} picture${images.length === 1 ? '' : 's'}; I'll recognise ${character} in the next screenshots.`,
        ].join('\n');
  const files: AttachmentBuilder[] = [];
  const embeds = images.slice(0, 10).map((image, i) => {
    const embed = new EmbedBuilder()
      .setColor(image.ok ? 0x57f287 : 0xed4245)
      .setTitle(`${image.ok ? '✅' : '⚠️'} ${image.name}`.slice(0, 256))
      .setDescription(
        image.ok
          ? image.whole
            ? 'Used the whole picture: it already looks like a face crop.'
            : (image.facesFound ?? 1) > 1
              ? `Used the biggest of the ${image.facesFound} faces I found.`
              : 'Used the face I found.'
          : (image.error ?? userMessages.noFaceFound),
      );
    if (image.cropPng) {
      const fileName = imageFileName(`face-${i + 1}`, image.cropPng);
      files.push(new AttachmentBuilder(image.cropPng, { name: fileName }));
      embed.setThumbnail(`attachment://${fileName}`);
    }
    return embed;
  });
  return { content, embeds, files };
}
