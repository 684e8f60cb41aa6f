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

const IMAGE_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
};

/** The Content-Type to serve: the stored one when it is an image type, else one from the extension. */
export function imageContentType(key: string, stored: string | undefined): string {
  if (stored && /^image\/[a-z0-9.+-]+$/i.test(stored)) return stored;
  const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase() ?? "";
  return IMAGE_TYPES[ext] ?? "application/octet-stream";
}
