import { createCanvas, ImageData, loadImage } from "@napi-rs/canvas";
import { createRgba, type Rgba } from "../../pipeline/rgba";

/** Encodes an opaque image as JPEG with the same encoder the pipeline uses. */
export async function toJpeg(img: Rgba, quality: number): Promise<Buffer> {
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
  return canvas.encode("jpeg", quality);
}

export async function fromJpeg(buf: Buffer): Promise<Rgba> {
  const image = await loadImage(buf);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const pixels = ctx.getImageData(0, 0, image.width, image.height);
  const out = createRgba(image.width, image.height);
  out.data.set(pixels.data);
  return out;
}

/** Encode then decode, so the keyer sees real 4:2:0 chroma subsampling and blocking. */
export async function jpegRoundTrip(img: Rgba, quality: number): Promise<Rgba> {
  return fromJpeg(await toJpeg(img, quality));
}

/** A PNG of any RGBA image (for looking at results). */
export async function toPng(img: Rgba): Promise<Buffer> {
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
  return canvas.encode("png");
}
