import { createRgba, type Rgba } from "../../pipeline/rgba";

/**
 * The workshop's keyer, kept as the baseline to beat: a hard HSV threshold. A pixel whose hue lies
 * in the screen's band and is saturated and bright enough becomes transparent; everything else
 * stays as it is, opaque. No soft edges, no spill removal.
 */
export function hardHsvKey(img: Rgba, screen: "green" | "blue" = "green"): Rgba {
  const [hueLo, hueHi] = screen === "green" ? [75, 165] : [195, 255];
  const out = createRgba(img.width, img.height);
  const src = img.data;
  for (let o = 0; o < src.length; o += 4) {
    const r = src[o]!;
    const g = src[o + 1]!;
    const b = src[o + 2]!;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    let hue = 0;
    if (delta > 0) {
      if (max === r) hue = 60 * (((g - b) / delta + 6) % 6);
      else if (max === g) hue = 60 * ((b - r) / delta + 2);
      else hue = 60 * ((r - g) / delta + 4);
    }
    const saturation = max > 0 ? delta / max : 0;
    const isScreen = hue >= hueLo && hue <= hueHi && saturation > 0.35 && max > 50;
    out.data[o] = r;
    out.data[o + 1] = g;
    out.data[o + 2] = b;
    out.data[o + 3] = isScreen ? 0 : 255;
  }
  return out;
}
