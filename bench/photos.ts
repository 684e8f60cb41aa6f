/**
 * The benchmark's inputs, made from the project's sample portrait at run time (nothing big is committed).
 *
 * "Synthetic" photos are the sample scaled up and stored upright: smooth, easy for the codec. "Phone" photos are
 * what guests upload: sensor grain, stored sideways with EXIF orientation 6 (as a phone held upright stores its
 * landscape sensor's picture), quality 92 with 4:2:0 chroma, and optionally in Display P3 with its ICC profile, as
 * iPhones write them.
 */
import sharp from "sharp";
import { SAMPLE_PHOTO } from "../local/load";
import { createPrng } from "../test/groundtruth/prng";

export interface PhotoSpec {
  label: string;
  /** Upright size, as the guest sees the photo. */
  width: number;
  height: number;
  /** EXIF orientation the file carries (1: stored upright; 6: stored turned a quarter to the left). */
  orientation: 1 | 6;
  /** Pixels in Display P3 with the profile embedded; otherwise sRGB without a profile. */
  p3: boolean;
  /** Standard deviation of the added grain, in 8-bit levels (0: none). */
  grain: number;
}

export const SYNTHETIC: PhotoSpec[] = [
  { label: "synthetic 12 MP 3000x4000", width: 3000, height: 4000, orientation: 1, p3: false, grain: 0 },
  { label: "synthetic 2 MP 1224x1632", width: 1224, height: 1632, orientation: 1, p3: false, grain: 0 },
];

export const PHONE: PhotoSpec[] = [
  { label: "phone 12 MP 4000x3000 o6 P3", width: 3000, height: 4000, orientation: 6, p3: true, grain: 6 },
  { label: "phone 12 MP 4000x3000 o6 sRGB", width: 3000, height: 4000, orientation: 6, p3: false, grain: 6 },
  { label: "phone 12 MP 4032x3024 o6 P3", width: 3024, height: 4032, orientation: 6, p3: true, grain: 6 },
  { label: "phone 12 MP 3000x4000 upright", width: 3000, height: 4000, orientation: 1, p3: false, grain: 6 },
  { label: "phone 2 MP 1632x1224 o6 P3", width: 1224, height: 1632, orientation: 6, p3: true, grain: 4 },
];

/** Sensor-like grain: per-pixel luma noise plus weaker colour noise, from a fixed seed. */
function addGrain(rgb: Buffer, sigma: number, seed: number): void {
  const prng = createPrng(seed);
  for (let i = 0; i < rgb.length; i += 3) {
    const luma = prng.gauss() * sigma;
    for (let c = 0; c < 3; c++) {
      rgb[i + c] = Math.max(0, Math.min(255, Math.round(rgb[i + c] + luma + prng.gauss() * sigma * 0.4)));
    }
  }
}

/** The photo as a JPEG file, as the spec says a camera would store it. */
export async function makePhoto(spec: PhotoSpec, seed = 1): Promise<Buffer> {
  const { data, info } = await sharp(SAMPLE_PHOTO)
    .resize(spec.width, spec.height, { fit: "fill", kernel: "lanczos3" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (spec.grain > 0) addGrain(data, spec.grain, seed);
  let pipeline = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  // Orientation 6 is shown turned a quarter clockwise, so it is stored turned a quarter anticlockwise.
  if (spec.orientation === 6) pipeline = pipeline.rotate(270);
  pipeline = pipeline.withMetadata({ orientation: spec.orientation });
  if (spec.p3) pipeline = pipeline.withIccProfile("p3");
  return pipeline.jpeg({ quality: 92, chromaSubsampling: "4:2:0" }).toBuffer();
}
