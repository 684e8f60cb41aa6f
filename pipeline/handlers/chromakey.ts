import { chromakey } from "../chromakey";
import { decodePhoto } from "../image-input";
import { encodePng } from "../image-output";
import { processingKey } from "../keys";
import { photoStage } from "./stage";

/** Upload bucket -> Processing bucket: the guest's photo with the screen keyed out, as an RGBA PNG. */
export const handler = photoStage({
  name: "chromakey",
  inputBucket: (config) => config.uploadBucket,
  outputBucket: (config) => config.processingBucket,
  outputKey: processingKey,
  async process(input, _photo, config) {
    const photo = await decodePhoto(input);
    const keyed = chromakey(photo, config.keyOptions);
    return { body: await encodePng(keyed), contentType: "image/png" };
  },
});
