import { processingKey } from "../keys";
import { chromakeyPhoto } from "../stages";
import { photoStage } from "./stage";

/** Upload bucket -> Processing bucket: the guest's photo with the screen keyed out, as an RGBA PNG. */
export const handler = photoStage({
  name: "chromakey",
  inputBucket: (config) => config.uploadBucket,
  outputBucket: (config) => config.processingBucket,
  outputKey: processingKey,
  inputLimit: (config) => config.maxUploadBytes,
  async process(input, _photo, config) {
    return { body: await chromakeyPhoto(input, config.keyOptions), contentType: "image/png" };
  },
});
