/**
 * An image as straight (non-premultiplied) RGBA bytes, row-major, 4 bytes a pixel.
 * The one currency of the pixel core: every pure function takes and returns this.
 */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export function createRgba(width: number, height: number): Rgba {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}
