/**
 * Checking and downloading attachments. Everything is refused before download when Discord's own
 * metadata already says no (too big, not an image); downloads go only to Discord's CDN over https,
 * follow no redirects, stop at the size cap while streaming, and give up after a timeout.
 */
import { sniffImageType } from '../core/decode.ts';
import { botMessages } from './bot-messages.ts';
import { UserFacingError } from './errors.ts';

/** What Discord tells us about an attachment before we download it. */
export interface AttachmentRef {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

export interface AttachmentLimits {
  maxBytes: number;
  timeoutMs: number;
  /** A loopback origin (e.g. http://127.0.0.1:4567) that tests use instead of the CDN. */
  testOrigin?: string;
}

export const DISCORD_CDN_HOSTS = new Set(['cdn.discordapp.com', 'media.discordapp.net']);
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/webp', 'image/gif', 'image/avif']);
const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|gif|avif)$/i;

export function looksLikeImage(ref: Pick<AttachmentRef, 'name' | 'contentType'>): boolean {
  const type = ref.contentType?.split(';')[0].trim().toLowerCase();
  return type ? IMAGE_TYPES.has(type) : IMAGE_EXTENSIONS.test(ref.name);
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** Why this attachment cannot be used, in words for the person who posted it; undefined if fine. */
export function attachmentProblem(ref: AttachmentRef, limits: Pick<AttachmentLimits, 'maxBytes'>): string | undefined {
  if (!looksLikeImage(ref)) {
    return `**${ref.name}** doesn't look like a picture. Send a screenshot as PNG, JPEG, WebP or GIF and I'll take a look!`;
  }
  if (ref.size > limits.maxBytes) {
    return `**${ref.name}** is ${formatBytes(ref.size)}, a bit too big for me (the limit is ${formatBytes(limits.maxBytes)}). Could you send a smaller version?`;
  }
  return undefined;
}

/** Refuses (throws a UserFacingError) unless the URL points at Discord's CDN or the test origin. */
export function assertAllowedUrl(rawUrl: string, limits: Pick<AttachmentLimits, 'testOrigin'>): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UserFacingError(botMessages.notADiscordUpload);
  }
  const onDiscordCdn = url.protocol === 'https:' && url.port === '' && DISCORD_CDN_HOSTS.has(url.hostname);
  const onTestOrigin = limits.testOrigin !== undefined && url.origin === limits.testOrigin;
  if (!onDiscordCdn && !onTestOrigin) {
    throw new UserFacingError(botMessages.notADiscordUpload);
  }
  return url;
}

/**
 * Downloads an attachment that already passed `attachmentProblem`, and checks by magic bytes that
 * it really is an image.
 */
export async function downloadAttachment(ref: AttachmentRef, limits: AttachmentLimits): Promise<Buffer> {
  const problem = attachmentProblem(ref, limits);
  if (problem) throw new UserFacingError(problem);
  const url = assertAllowedUrl(ref.url, limits);
  const tooBig = () =>
    new UserFacingError(
      `**${ref.name}** turned out to be bigger than ${formatBytes(limits.maxBytes)}, so I stopped downloading it. Could you send a smaller version?`,
    );
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await fetch(url, { redirect: 'manual', signal });
    if (response.status !== 200 || !response.body) {
      throw new UserFacingError(botMessages.downloadFailed(ref.name));
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body.cancel();
      throw tooBig();
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limits.maxBytes) {
        await reader.cancel();
        throw tooBig();
      }
      chunks.push(value);
    }
    const bytes = Buffer.concat(chunks);
    if (!sniffImageType(bytes)) {
      throw new UserFacingError(
        `**${ref.name}** doesn't look like a picture I can read. PNG, JPEG, WebP or GIF screenshots work best!`,
      );
    }
    return bytes;
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    if (signal.aborted) {
      throw new UserFacingError(`Downloading **${ref.name}** took too long, so I gave up. Could you try again?`);
    }
    throw new UserFacingError(botMessages.downloadFailed(ref.name), { cause: error });
  }
}
