import { chromakey } from "./chromakey";
import type { KeyOptions } from "./chromakey";
import { composite } from "./composite";
import type { CompositeOptions } from "./composite";
import { decodePhoto } from "./image-input";
import { encodeJpeg, encodePng } from "./image-output";

/**
 * Each stage's work from bytes to bytes, with no S3 and no environment: what the Lambda handlers, the CLI and
 * the benchmark all run.
 */

/** A guest's photo (JPEG or PNG) -> the subject with the screen keyed out, as a straight-alpha RGBA PNG. */
export async function chromakeyPhoto(photo: Uint8Array, keyOptions: Partial<KeyOptions> = {}): Promise<Buffer> {
  return encodePng(chromakey(await decodePhoto(photo), keyOptions));
}

/** A keyed subject PNG -> the souvenir JPEG: theme background, subject, frame and park name. */
export async function compositePhoto(subject: Uint8Array, options: CompositeOptions): Promise<Buffer> {
  return encodeJpeg(await composite(await decodePhoto(subject), options));
}
