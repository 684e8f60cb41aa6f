import { processingKey } from "../keys";
import { keyStage } from "../stages";
import { HINT_METADATA } from "../messages";
import { photoStage } from "./stage";

/** Upload bucket -> Processing bucket: the guest's photo with the screen keyed out, as an RGBA PNG. */
export const handler = photoStage({
  name: "chromakey",
  inputBucket: (config) => config.uploadBucket,
  outputBucket: (config) => config.processingBucket,
  outputKey: processingKey,
  inputLimit: (config) => config.maxUploadBytes,
  async process(input, _photo, config) {
    const { png, hint } = await keyStage(input, config.keyOptions);
    // The hint rides along as S3 metadata to the final photo, where notify reads it.
    return { body: png, contentType: "image/png", ...(hint ? { metadata: { [HINT_METADATA]: hint } } : {}) };
  },
});
