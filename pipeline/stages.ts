import { keyPhoto } from "./chromakey";
import type { KeyOptions } from "./chromakey";
import { PhotoError } from "./errors";
import { cropToExtent } from "./key-extent";
import { decodePhoto } from "./image-input";
import { encodePng } from "./image-output";
import type { Rgba } from "./rgba";

/**
 * The chromakey stage's work from bytes to bytes, with no S3 and no environment: what its Lambda handler, the CLI
 * and the benchmark all run. The composite stage's is compositePhoto (composite.ts); the two stay apart so the
 * chromakey function never loads the canvas.
 */

/** Said to the guest when the photo shows no screen (an ordinary selfie): a souvenir would paste the room into the scene. */
export const NO_SCREEN_REASON =
  "no green screen was found behind you: stand in front of the screen so it fills the space around you, and take the photo again";

/**
 * The smallest guest photo taken, on its short side. Every phone camera writes far more (a VGA frame has 480);
 * below this the guest, even enlarged the 2x the layout allows, would be a smudge in the 1080x1350 souvenir.
 */
export const MIN_PHOTO_SIDE = 200;

/** A guest's photo (JPEG or PNG) -> upright sRGB RGBA at working size, refusing one too small for a souvenir. */
export function decodeGuestPhoto(photo: Uint8Array): Promise<Rgba> {
  return decodePhoto(photo, { minSide: MIN_PHOTO_SIDE });
}

/**
 * A decoded photo -> the guest with the screen keyed out, cut to the screen's extent, and the hint for the guest
 * the keyer may have. A photo with no screen is refused (PhotoError) rather than keyed as a whole.
 */
export function cutOut(photo: Rgba, keyOptions: Partial<KeyOptions> = {}): { image: Rgba; hint?: string } {
  const keyed = keyPhoto(photo, keyOptions);
  if (!keyed.screen) throw new PhotoError(NO_SCREEN_REASON);
  const image = cropToExtent(keyed.image, keyed.extent);
  return keyed.hint ? { image, hint: keyed.hint } : { image };
}

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
  const { image, hint } = cutOut(await decodeGuestPhoto(photo), keyOptions);
  const png = await encodePng(image);
  return hint ? { png, hint } : { png };
}
