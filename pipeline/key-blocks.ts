/** Small helpers for the keyer's passes that reason over a coarse grid of blocks instead of pixels. */

export /** Chamfer distance (in blocks, 8-connected) from every block to the nearest marked one. */
function blockDistance(marked: Uint8Array, cols: number, rows: number): Uint16Array {
  const far = 0xffff;
  const d = new Uint16Array(cols * rows);
  for (let b = 0; b < d.length; b++) d[b] = marked[b] ? 0 : far;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const b = y * cols + x;
      let v = d[b]!;
      if (x > 0) v = Math.min(v, d[b - 1]! + 1);
      if (y > 0) {
        v = Math.min(v, d[b - cols]! + 1);
        if (x > 0) v = Math.min(v, d[b - cols - 1]! + 1);
        if (x < cols - 1) v = Math.min(v, d[b - cols + 1]! + 1);
      }
      d[b] = v;
    }
  }
  for (let y = rows - 1; y >= 0; y--) {
    for (let x = cols - 1; x >= 0; x--) {
      const b = y * cols + x;
      let v = d[b]!;
      if (x < cols - 1) v = Math.min(v, d[b + 1]! + 1);
      if (y < rows - 1) {
        v = Math.min(v, d[b + cols]! + 1);
        if (x < cols - 1) v = Math.min(v, d[b + cols + 1]! + 1);
        if (x > 0) v = Math.min(v, d[b + cols - 1]! + 1);
      }
      d[b] = v;
    }
  }
  return d;
}
