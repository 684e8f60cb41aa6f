/**
 * Object keys through the pipeline: <id>.jpg (upload) -> <id>.png (processing) -> <id>.jpg (final).
 * Pure string work, so every rule about names lives here and is tested here.
 */

/** S3 event notifications URL-encode keys, with '+' for a space. */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

export interface PhotoKey {
  /** The key without its extension: folder (if any) and file stem, e.g. "3f2a…" or "booth-2/3f2a…". */
  readonly base: string;
  /** The file stem alone: what log lines and themes use. */
  readonly photoId: string;
}

const PHOTO_EXTENSION = /\.(jpe?g|png)$/i;

/** A key the pipeline should process, or undefined for anything else (folder markers, stray files). */
export function parsePhotoKey(key: string): PhotoKey | undefined {
  if (key.endsWith("/")) return undefined;
  const match = PHOTO_EXTENSION.exec(key);
  if (!match) return undefined;
  const base = key.slice(0, match.index);
  const photoId = base.slice(base.lastIndexOf("/") + 1);
  if (photoId === "") return undefined;
  return { base, photoId };
}

export const processingKey = (photo: PhotoKey): string => `${photo.base}.png`;
export const finalKey = (photo: PhotoKey): string => `${photo.base}.jpg`;

/** The URL of a final image under its CDN (or local) base, each path segment encoded. */
export function finalImageUrl(base: string, key: string): string {
  return `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
}
