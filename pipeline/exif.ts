/**
 * EXIF orientation from a JPEG APP1 payload. Only IFD0 tag 0x0112 is read: it is the one
 * tag that changes how the pixels must be shown. Damaged metadata never refuses a photo:
 * it reads as "upright" (1), as image viewers do.
 */

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"
const ORIENTATION_TAG = 0x0112;
const TYPE_SHORT = 3;

/** `payload` is the APP1 segment body (after the length field). Returns 1..8. */
export function orientationFromApp1(payload: Uint8Array): number {
  if (payload.length < EXIF_HEADER.length + 8) return 1;
  for (let i = 0; i < EXIF_HEADER.length; i++) if (payload[i] !== EXIF_HEADER[i]) return 1;
  const tiff = payload.subarray(EXIF_HEADER.length);
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  let little: boolean;
  if (tiff[0] === 0x49 && tiff[1] === 0x49) little = true;
  else if (tiff[0] === 0x4d && tiff[1] === 0x4d) little = false;
  else return 1;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== ORIENTATION_TAG) continue;
    if (view.getUint16(entry + 2, little) !== TYPE_SHORT) return 1;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
