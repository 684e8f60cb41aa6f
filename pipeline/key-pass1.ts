import type { BlockStats } from "./key-blocks";
import { cellColumns, cellRow, type ForegroundMap } from "./key-foreground";
import { CREASE_CANDIDATE, CREASE_DARK, CREASE_SEED } from "./key-cleanup";
import { creaseShade, rawAlphaAt } from "./key-matte";
import { plateRow, plateSampler, type Plate } from "./key-plate";
import { addEdgePixel, clipAlpha, createEdgePixels, OPAQUE_RAW, REFINE_RAW, type EdgePixels } from "./key-unmix";
import type { Rgba } from "./rgba";

/**
 * Pass 1 of the keyer, over every pixel: the raw matte with the refinement maps applied, opaque pixels
 * written (despilled) and teaching the foreground map, fractional ones listed for pass 2 (un-mixing).
 */

/**
 * Raw alpha from which a pixel counts as the subject's (teaches its colour and solidity) even where
 * the soft ramp up to clipWhite still leaves it fractional: cloth near the screen's hue (teal) stays
 * subject, while glass walls and smeared hands keep their partial alpha.
 */
const SOLID_RAW = 0.8;

// Local bindings of the per-pixel helpers and thresholds: a module loader may turn an imported name into a
// getter call on every use, which keeps the engine from inlining it in the hottest loop.
const rawAt = rawAlphaAt;
const shadeAt = creaseShade;
const clip = clipAlpha;
const addEdge = addEdgePixel;
const REFINE = REFINE_RAW;
const DARK = CREASE_DARK;
const SEED = CREASE_SEED;
const CANDIDATE = CREASE_CANDIDATE;
/** A pixel teaches the subject's colour with a weight rising from raw alpha 1 to OPAQUE_RAW. */
const TEACH_SCALE = 1 / (OPAQUE_RAW - 1);

/** What pass 1 reads. */
export interface MatteInput {
  img: Rgba;
  /** Straight-alpha output: opaque pixels are written here, the rest left for pass 2. */
  out: Rgba;
  /** Screen channel and the two others (RGBA indices). */
  key: number;
  i0: number;
  i1: number;
  plate: Plate;
  /** Refinement maps over `blocks`: spill-core levels (or null) and the crease zone. */
  blocks: BlockStats;
  cores: Float32Array | null;
  creases: Uint8Array;
  clipBlack: number;
  clipWhite: number;
  spill: number;
  /** Accumulates the opaque pixels' count and colour (key-foreground.ts), in place. */
  fgMap: ForegroundMap;
}

/** What pass 1 leaves for the passes after it. */
export interface MatteResult {
  /** Pixels with some alpha and a raw alpha below REFINE_RAW, for un-mixing. */
  edges: EdgePixels;
  /** Rows holding any fractional pixel, for the edge refinement. */
  rowHasEdge: Uint8Array;
  /** Per pixel: CREASE_SEED where the crease zone keyed it out, CREASE_CANDIDATE where it would pass next to the guest. */
  creaseMarks: Uint8Array;
  /** The pixels marked in `creaseMarks`, in scan order. */
  creased: number[];
}

/** Pass 1; writes `out` and `fgMap` in place. */
export function mattePass(m: MatteInput): MatteResult {
  const { img, key, i0, i1, plate, blocks, cores, creases, clipBlack, clipWhite, spill, fgMap } = m;
  const { width, height, data } = img;
  const o = m.out.data;
  const sampler = plateSampler(plate, width);
  const line = new Float32Array(plate.cols * 3);
  const bg = new Float32Array(width * 3);
  const blockColumn = blocks.column;
  const fgColumn = cellColumns(fgMap, width);
  const { solid: fgSolid, weight: fgWeight, rgb: fgSums } = fgMap;
  const edges = createEdgePixels(edgeCapacity(blocks, width * height));
  const rowHasEdge = new Uint8Array(height);
  const creaseMarks = new Uint8Array(width * height);
  const creased: number[] = [];
  for (let y = 0; y < height; y++) {
    plateRow(plate, sampler, y, line, bg);
    const fgRow = cellRow(fgMap, y);
    const blockRow = Math.floor(y / blocks.size) * blocks.cols;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const p = 4 * i;
      let raw = rawAt(data, p, bg, 3 * x, key, i0, i1);
      // Bare screen (most of a photo) stays bare whatever the refinement maps say: nothing to write.
      if (raw < clipBlack) continue;
      const block = blockRow + blockColumn[x]!;
      if (raw < 1) {
        // Next to the guest a pixel that passes the dark test is only a candidate (a strand looks the same):
        // clearCreaseRuns decides from the marks whether a fold joins it to the open screen.
        const zone = creases[block]!;
        const shade = shadeAt(data, p, bg, 3 * x, key, i0, i1, zone || DARK);
        if (zone) raw *= shade;
        if (shade === 0) {
          creaseMarks[i] = zone ? SEED : CANDIDATE;
          creased.push(i);
        }
      }
      if (cores !== null) {
        const level = cores[block]!;
        // Only the guest's own fractional pixels are rescaled.
        if (level > 0 && raw >= clipBlack && raw < clipWhite / level) raw /= level;
      }
      const a = clip(raw, clipBlack, clipWhite);
      if (a > 0 && raw < REFINE) addEdge(edges, i, raw, a);
      if (a < 1) {
        if (a > 0) rowHasEdge[y] = 1;
        if (raw < SOLID_RAW) continue;
      }
      if (raw < REFINE) rowHasEdge[y] = 1;
      const c0 = data[p + i0]!;
      const c1 = data[p + i1]!;
      const limit = c0 > c1 ? c0 : c1;
      const ck = data[p + key]!;
      const fk = ck > limit ? ck - (ck - limit) * spill : ck;
      o[p + key] = fk;
      o[p + i0] = c0;
      o[p + i1] = c1;
      o[p + 3] = 255;
      const cell = fgRow + fgColumn[x]!;
      fgSolid[cell]! += 1;
      // Only pixels well past opaque teach the subject's colour: a reddish or dark colour mixed
      // with some screen still reads as opaque, and would teach a screen-tinted colour.
      const depth = (raw - 1) * TEACH_SCALE;
      if (depth > 0) {
        const w = depth >= 1 ? 1 : depth * depth;
        fgWeight[cell]! += w;
        fgSums[3 * cell]! += w * o[p]!;
        fgSums[3 * cell + 1]! += w * o[p + 1]!;
        fgSums[3 * cell + 2]! += w * o[p + 2]!;
      }
    }
  }
  return { edges, rowHasEdge, creaseMarks, creased };
}

/**
 * Room for pass 2's list: the share of the photo that is not bare screen by the block statistics' samples, a
 * little over what the list takes (it holds some of those pixels), so it seldom grows; each doubling copies
 * it and leaves megabytes to the collector. A portrait in light clothes lists a third of the photo.
 */
function edgeCapacity(blocks: BlockStats, pixels: number): number {
  let sampled = 0;
  let bare = 0;
  for (let b = 0; b < blocks.total.length; b++) {
    sampled += blocks.total[b]!;
    bare += blocks.bare[b]!;
  }
  return Math.ceil(((sampled - bare + 1) / (sampled + 1)) * pixels * EDGE_ROOM);
}

/** Margin on the sampled share in edgeCapacity (sampling error). */
const EDGE_ROOM = 1.05;
