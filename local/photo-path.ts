/**
 * The Final bucket key named by a `/photos/<key>` path, or undefined when the path could name anything outside
 * the bucket's photos: no empty, "." or ".." segment, no backslash or control character. The S3 server stores
 * keys as files, so this is what stops a path from walking out of it. Other characters are fine in S3 keys.
 */
export function photoKeyFromPath(encodedRest: string): string | undefined {
  let key: string;
  try {
    key = decodeURIComponent(encodedRest);
  } catch {
    return undefined;
  }
  if (key.length === 0 || key.length > 1024) return undefined;
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return undefined;
  return key.split("/").every((s) => s !== "" && s !== "." && s !== "..") ? key : undefined;
}

/**
 * Whether the bytes are a JPEG (SOI marker, then a marker). Souvenirs are JPEGs; anything else stored under a
 * photo key (an SVG, HTML) is never served from the page's origin, where it could run script.
 */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}
