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

/**
 * The URL of a final image under its CDN (or local) base, each path segment encoded. `version` (the object's
 * ETag) makes each souvenir written to a key a URL of its own: the CDN keys its cache on it, so a re-upload to
 * the same key never shows the previous souvenir, and each URL's content may be cached as immutable.
 */
export function finalImageUrl(base: string, key: string, version?: string): string {
  const url = `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return version ? `${url}?v=${encodeURIComponent(version)}` : url;
}

/**
 * Where the notify stage records that a final object was announced: one empty object per final key and
 * version, created with If-None-Match so exactly one run claims it. Kept in the Final bucket, which expires
 * them with the photos; the CDN may not read them, and the notify trigger (suffix `.jpg`) never fires on them.
 */
export const NOTIFIED_PREFIX = ".notified/";

export function notifiedMarkerKey(finalKey: string, noticeId: string): string {
  return `${NOTIFIED_PREFIX}${finalKey}/${noticeId}`;
}

/**
 * Which write of a key an S3 event announced: its sequencer (a new one for every write, the same in every
 * delivery of that event), or its ETag where there is none.
 */
export function eventVersion(object: { sequencer?: string; eTag?: string }): string {
  return object.sequencer || (object.eTag ?? "").replace(/"/g, "") || "unversioned";
}

/** The notice a stage's failure for one event is told under, by the stage and by the failure reporter alike. */
export const failedNoticeId = (stage: string, version: string): string => `failed-${stage}-${version}`;
export const processedNoticeId = (version: string): string => `processed-${version}`;
/** The notice notify's failure reporter announces a souvenir under (notify's own claim may be a dead run's). */
export const recoveredNoticeId = (version: string): string => `processed-recovered-${version}`;

/** IoT Core's longest topic name, in UTF-8 bytes. */
const MAX_TOPIC_BYTES = 256;

/**
 * A photo's own notification topic, `<topic>/<photoId>` (the final key's file name without folders and `.jpg`),
 * so a browser can listen to its photo alone. Undefined when the id cannot be one MQTT topic level: MQTT
 * wildcards or NUL in it, or too long (never for the `<uuid>.jpg` names the presign route hands out).
 */
export function photoTopic(topic: string, objectKey: string): string | undefined {
  const photoId = objectKey.slice(objectKey.lastIndexOf("/") + 1).replace(/\.jpg$/i, "");
  const name = `${topic}/${photoId}`;
  if (photoId === "" || /[+#\u0000]/.test(photoId)) return undefined;
  return new TextEncoder().encode(name).length <= MAX_TOPIC_BYTES ? name : undefined;
}
