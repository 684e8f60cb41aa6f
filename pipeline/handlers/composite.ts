import { finalKey } from "../keys";
import { compositePhoto } from "../composite";
import { HINT_METADATA } from "../messages";
import { photoStage } from "./stage";

/** Processing bucket -> Final bucket: the keyed subject on a theme-park scene, as a JPEG to share. */
export const handler = photoStage({
  name: "composite",
  inputBucket: (config) => config.processingBucket,
  outputBucket: (config) => config.finalBucket,
  outputKey: finalKey,
  progressStep: "compose",
  async process(input, photo, config, metadata) {
    const body = await compositePhoto(input, {
      photoId: photo.photoId,
      theme: config.theme,
      parkName: config.parkName,
    });
    // The key never changes content once written, so the CDN may keep it as long as the bucket does.
    const hint = metadata[HINT_METADATA];
    return {
      body,
      contentType: "image/jpeg",
      cacheControl: "public, max-age=86400, immutable",
      ...(hint ? { metadata: { [HINT_METADATA]: hint } } : {}),
    };
  },
});
