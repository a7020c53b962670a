/**
 * What a source adapter makes of a checkout of a public data repository: the characters of one game
 * (names people see and type) and the face images a roster pack is built from. The adapters read
 * folders only (fs + sharp); building, storing and serving packs happen elsewhere.
 */

/** A repository at the commit the adapter was written against, and the paths of it that it reads. */
export interface SourceRepository {
  repo: string;
  commit: string;
  paths: string[];
}

export interface SourceCharacter {
  /** Stable within the pack: lower-case ASCII slug, e.g. "takagaki-kaede"; for names without romaji use the source's own stable id (e.g. "uma-1001", "cg-<cardless hash>") */
  id: string;
  /** What people see: romaji/English "Family Given" where the source has it, else the Japanese name. */
  name: string;
  nameJa?: string;
  nameEn?: string;
  /** Other names people type: given name as fans type it ("kaede"), Japanese name, other orders. Lower-case not required. */
  aliases: string[];
}

/** A rectangle of a file, in pixels of the stored image (before any trim). */
export interface ImageRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface SourceImage {
  characterId: string;
  /** Absolute path of the file in the checkout. */
  path: string;
  /** 'crop': already a face icon (after prepare); 'art': a large picture, the builder detects faces in it. */
  kind: 'crop' | 'art';
  /** Images sharing a group are the same face (e.g. Uma _01/_02, one SSR card in both CG sources): held out together. */
  group: string;
  /** e.g. 'game', 'anime'. */
  medium?: string;
  /** Added: the part of the file that is this image, where one file holds several (a CG strip's two icons). */
  region?: ImageRegion;
  /** Added: 'side' for icons that show the head in profile or from behind (Genshin's icon-side), little of the face. */
  pose?: 'side';
}

/** Added: a file of the checkout that the adapter left out, and why (for the listing script's report). */
export interface SkippedFile {
  path: string;
  reason: string;
}

export interface SourceListing {
  pack: string; // 'cinderella-girls' | 'million-live' | 'project-sekai' | 'uma-musume' | 'genshin-impact'
  title: string; // e.g. "THE iDOLM@STER Cinderella Girls"
  franchise: string; // short label shown beside ambiguous names, e.g. "iM@S CG", "Project Sekai", "Uma Musume", "Genshin"
  sources: SourceRepository[];
  characters: SourceCharacter[];
  images: SourceImage[]; // what the pack may be built from
  measure?: SourceImage[]; // faces never put in the pack, to measure it (Million Live's anime faces)
  /** Added: files left out (not a character of the roster, a card the data does not name, a near-duplicate…). */
  skipped?: SkippedFile[];
  /**
   * Turns one image file into the picture the builder embeds (crop kind: the face icon trimmed; art kind:
   * the decoded picture). Returns an encoded PNG, RGB (alpha flattened onto white).
   */
  prepare(image: SourceImage): Promise<Buffer>;
}
