import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where the data directory keeps files that rows point at. */
export class DataFiles {
  constructor(readonly dataDir: string) {}

  cropPath(guildId: string): string {
    return path.join('crops', safeSegment(guildId), `${randomUUID()}.png`);
  }

  imagePath(sha256: string, format: string): string {
    return path.join('images', sha256.slice(0, 2), `${sha256}.${format === 'jpeg' ? 'jpg' : format}`);
  }

  absolute(relative: string): string {
    return path.isAbsolute(relative) ? relative : path.join(this.dataDir, relative);
  }

  /** Writes via a temp file and rename, so a crash never leaves a half-written file behind a row. */
  writeAtomic(relative: string, bytes: Buffer | Uint8Array): string {
    const full = this.absolute(relative);
    mkdirSync(path.dirname(full), { recursive: true });
    const temp = `${full}.tmp-${process.pid}`;
    writeFileSync(temp, bytes);
    renameSync(temp, full);
    return relative;
  }
}

export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}
