import { keyPhoto } from "./chromakey";
import type { KeyOptions } from "./chromakey";
import { PhotoError } from "./errors";
import { cropToExtent } from "./key-extent";
import { composite } from "./composite";
import type { CompositeOptions } from "./composite";
import { decodePhoto } from "./image-input";
import { encodeJpeg, encodePng } from "./image-output";

/**
 * Each stage's work from bytes to bytes, with no S3 and no environment: what the Lambda handlers, the CLI and
 * the benchmark all run.
 */

/** Said to the guest when the photo shows no screen (an ordinary selfie): a souvenir would paste the room into the scene. */
export const NO_SCREEN_REASON =
  "no green screen was found behind you: stand in front of the screen so it fills the space around you, and take the photo again";

/**
 * A guest's photo (JPEG or PNG) -> the subject with the screen keyed out, as a straight-alpha RGBA PNG cut to
 * the screen's extent. A photo with no screen is refused (PhotoError) rather than keyed as a whole.
 */
export async function chromakeyPhoto(photo: Uint8Array, keyOptions: Partial<KeyOptions> = {}): Promise<Buffer> {
  return (await keyStage(photo, keyOptions)).png;
}

/** chromakeyPhoto, with the hint for the guest the keyer may have (carried to the notification). */
export async function keyStage(
  photo: Uint8Array,
  keyOptions: Partial<KeyOptions> = {},
): Promise<{ png: Buffer; hint?: string }> {
  const keyed = keyPhoto(await decodePhoto(photo), keyOptions);
  if (!keyed.screen) throw new PhotoError(NO_SCREEN_REASON);
  const png = await encodePng(cropToExtent(keyed.image, keyed.extent));
  return keyed.hint ? { png, hint: keyed.hint } : { png };
}

/** A keyed subject PNG -> the souvenir JPEG: theme background, subject, frame and park name. */
export async function compositePhoto(subject: Uint8Array, options: CompositeOptions): Promise<Buffer> {
  return encodeJpeg(await composite(await decodePhoto(subject), options));
}
