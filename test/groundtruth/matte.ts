/**
 * A foreground under construction: true alpha plus premultiplied colour (0..255), built by
 * painting anti-aliased layers back to front with the "over" operator.
 */
export interface Matte {
  readonly width: number;
  readonly height: number;
  readonly a: Float32Array;
  readonly r: Float32Array;
  readonly g: Float32Array;
  readonly b: Float32Array;
}

export function createMatte(width: number, height: number): Matte {
  const n = width * height;
  return {
    width,
    height,
    a: new Float32Array(n),
    r: new Float32Array(n),
    g: new Float32Array(n),
    b: new Float32Array(n),
  };
}

/** Writes the straight colour of (x, y) into `colour` and returns its coverage in [0, 1]. */
export type Shader = (x: number, y: number, colour: Float32Array) => number;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Paints a shader over the box (clipped to the matte), sampling pixel centres. */
export function paint(m: Matte, box: Box, shader: Shader): void {
  const colour = new Float32Array(3);
  const x0 = Math.max(0, Math.floor(box.x0));
  const y0 = Math.max(0, Math.floor(box.y0));
  const x1 = Math.min(m.width, Math.ceil(box.x1));
  const y1 = Math.min(m.height, Math.ceil(box.y1));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const c = shader(x + 0.5, y + 0.5, colour);
      if (c <= 0) continue;
      const i = y * m.width + x;
      const k = 1 - c;
      m.a[i] = c + m.a[i]! * k;
      m.r[i] = c * colour[0]! + m.r[i]! * k;
      m.g[i] = c * colour[1]! + m.g[i]! * k;
      m.b[i] = c * colour[2]! + m.b[i]! * k;
    }
  }
}

/** Composites `top` over `bottom` in place (both premultiplied, same size). */
export function over(bottom: Matte, top: Matte): void {
  for (let i = 0; i < bottom.a.length; i++) {
    const c = top.a[i]!;
    if (c <= 0) continue;
    const k = 1 - c;
    bottom.a[i] = c + bottom.a[i]! * k;
    bottom.r[i] = top.r[i]! + bottom.r[i]! * k;
    bottom.g[i] = top.g[i]! + bottom.g[i]! * k;
    bottom.b[i] = top.b[i]! + bottom.b[i]! * k;
  }
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Anti-aliased coverage of an ellipse (signed distance approximated by f / |grad f|). */
export function ellipseCoverage(px: number, py: number, cx: number, cy: number, rx: number, ry: number): number {
  const u = (px - cx) / rx;
  const v = (py - cy) / ry;
  const g = Math.sqrt(u * u + v * v);
  if (g < 1e-6) return 1;
  const grad = Math.sqrt((u / rx) * (u / rx) + (v / ry) * (v / ry)) / g;
  return clamp01(0.5 - (g - 1) / grad);
}

/** Distance from a point to the segment a-b. */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? clamp01(((px - ax) * dx + (py - ay) * dy) / len2) : 0;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

export function capsuleCoverage(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  r: number,
): number {
  return clamp01(0.5 - (segmentDistance(px, py, ax, ay, bx, by) - r));
}
