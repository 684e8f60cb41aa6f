/**
 * Draws the shipped assets: one background per theme and the frame overlay.
 * Run `npx tsx assets/generate.ts`; the results are committed, so nothing draws at run time
 * except the park name. Deterministic (seeded), so re-running gives the same files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import {
  BANNER,
  BANNER_TAB_HEIGHT,
  FONT_FAMILY,
  FRAME_BORDER,
  OUTPUT_HEIGHT as H,
  OUTPUT_WIDTH as W,
} from "../pipeline/themes";

type Ctx = SKRSContext2D;

/** Small seeded PRNG (mulberry32) so stars and sparkles land in the same place every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function verticalGradient(ctx: Ctx, y0: number, y1: number, stops: [number, string][]): CanvasGradient {
  const g = ctx.createLinearGradient(0, y0, 0, y1);
  for (const [at, colour] of stops) g.addColorStop(at, colour);
  return g;
}

function glow(ctx: Ctx, x: number, y: number, r: number, colour: string): void {
  const g = ctx.createRadialGradient(x, y, 0, x, y, r);
  g.addColorStop(0, colour);
  g.addColorStop(1, "rgba(255,255,255,0)");
  ctx.fillStyle = g;
  ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
}

function star(ctx: Ctx, x: number, y: number, outer: number, inner: number, points = 5): void {
  ctx.beginPath();
  for (let i = 0; i < points * 2; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (i * Math.PI) / points;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fill();
}

// ---- castle at dusk --------------------------------------------------------------------

function firework(ctx: Ctx, x: number, y: number, r: number, colour: string, random: () => number): void {
  ctx.save();
  glow(ctx, x, y, r * 1.3, colour.replace("1)", "0.18)"));
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineCap = "round";
  const rays = 22;
  for (let i = 0; i < rays; i++) {
    const a = (i / rays) * Math.PI * 2 + random() * 0.1;
    const len = r * (0.75 + random() * 0.25);
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(x + Math.cos(a) * len * 0.25, y + Math.sin(a) * len * 0.25);
    ctx.lineTo(x + Math.cos(a) * len, y + Math.sin(a) * len + len * 0.06);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x + Math.cos(a) * len * 1.08, y + Math.sin(a) * len * 1.08 + len * 0.08, 4, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
}

function tower(
  ctx: Ctx,
  cx: number,
  top: number,
  bottom: number,
  w: number,
  roofH: number,
  wall: CanvasGradient,
): void {
  ctx.fillStyle = wall;
  ctx.fillRect(cx - w / 2, top, w, bottom - top);
  // roof
  const roof = ctx.createLinearGradient(cx - w / 2, 0, cx + w / 2, 0);
  roof.addColorStop(0, "#4b3a9c");
  roof.addColorStop(0.5, "#6d54c9");
  roof.addColorStop(1, "#35296f");
  ctx.fillStyle = roof;
  ctx.beginPath();
  ctx.moveTo(cx - w / 2 - 12, top + 4);
  ctx.lineTo(cx, top - roofH);
  ctx.lineTo(cx + w / 2 + 12, top + 4);
  ctx.closePath();
  ctx.fill();
  // flag
  ctx.strokeStyle = "#3a2d6b";
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(cx, top - roofH);
  ctx.lineTo(cx, top - roofH - 40);
  ctx.stroke();
  ctx.fillStyle = "#ff5fa2";
  ctx.beginPath();
  ctx.moveTo(cx, top - roofH - 40);
  ctx.lineTo(cx + 30, top - roofH - 32);
  ctx.lineTo(cx, top - roofH - 24);
  ctx.closePath();
  ctx.fill();
  // lit windows
  ctx.save();
  ctx.shadowColor = "rgba(255,200,90,0.9)";
  ctx.shadowBlur = 14;
  ctx.fillStyle = "#ffd36b";
  for (let y = top + 30; y < bottom - 60; y += 90) {
    ctx.beginPath();
    ctx.moveTo(cx - 9, y + 30);
    ctx.lineTo(cx - 9, y + 10);
    ctx.arc(cx, y + 10, 9, Math.PI, 0);
    ctx.lineTo(cx + 9, y + 30);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

function battlements(ctx: Ctx, x0: number, x1: number, y: number, wall: CanvasGradient): void {
  ctx.fillStyle = wall;
  for (let x = x0; x < x1 - 10; x += 36) ctx.fillRect(x, y - 18, 20, 20);
}

function drawCastle(ctx: Ctx): void {
  const random = rng(7);
  ctx.fillStyle = verticalGradient(ctx, 0, 1000, [
    [0, "#101645"],
    [0.35, "#35276a"],
    [0.62, "#7f3d80"],
    [0.82, "#d9645e"],
    [1, "#f7b36a"],
  ]);
  ctx.fillRect(0, 0, W, H);
  for (let i = 0; i < 170; i++) {
    const x = random() * W;
    const y = random() * 560;
    ctx.fillStyle = `rgba(255,255,240,${0.35 + random() * 0.6})`;
    ctx.beginPath();
    ctx.arc(x, y, 0.8 + random() * 1.8, 0, Math.PI * 2);
    ctx.fill();
  }
  // crescent moon: a disc with a smaller offset disc cut away, on its own layer
  const moon = createCanvas(220, 220);
  const m = moon.getContext("2d");
  m.fillStyle = "#fff4d0";
  m.beginPath();
  m.arc(110, 110, 58, 0, Math.PI * 2);
  m.fill();
  m.globalCompositeOperation = "destination-out";
  m.beginPath();
  m.arc(138, 92, 52, 0, Math.PI * 2);
  m.fill();
  glow(ctx, 880, 170, 150, "rgba(255,240,200,0.25)");
  ctx.drawImage(moon, 770, 60);

  firework(ctx, 190, 250, 110, "rgba(255,214,92,1)", random);
  firework(ctx, 900, 470, 90, "rgba(255,110,180,1)", random);
  firework(ctx, 330, 520, 70, "rgba(120,220,255,1)", random);

  // distant hills
  ctx.fillStyle = "#4a2f6e";
  ctx.beginPath();
  ctx.moveTo(0, 930);
  ctx.bezierCurveTo(200, 860, 380, 900, 540, 880);
  ctx.bezierCurveTo(720, 860, 900, 900, W, 870);
  ctx.lineTo(W, 1100);
  ctx.lineTo(0, 1100);
  ctx.fill();

  // castle, lit from the sunset side
  const wall = ctx.createLinearGradient(0, 400, 0, 1010);
  wall.addColorStop(0, "#f3e6ff");
  wall.addColorStop(1, "#a88fcf");
  ctx.fillStyle = wall;
  ctx.fillRect(150, 800, 780, 210); // curtain wall
  battlements(ctx, 150, 930, 800, wall);
  ctx.fillRect(330, 600, 420, 410); // keep
  battlements(ctx, 330, 750, 600, wall);
  tower(ctx, 190, 700, 1010, 90, 120, wall);
  tower(ctx, 890, 700, 1010, 90, 120, wall);
  tower(ctx, 340, 540, 1010, 80, 130, wall);
  tower(ctx, 740, 540, 1010, 80, 130, wall);
  tower(ctx, 540, 380, 620, 120, 190, wall);
  tower(ctx, 450, 470, 620, 60, 100, wall);
  tower(ctx, 630, 470, 620, 60, 100, wall);
  // gate
  ctx.fillStyle = "#2c1f4f";
  ctx.beginPath();
  ctx.moveTo(490, 1010);
  ctx.lineTo(490, 900);
  ctx.arc(540, 900, 50, Math.PI, 0);
  ctx.lineTo(590, 1010);
  ctx.fill();

  // ground and the path to the gate
  ctx.fillStyle = verticalGradient(ctx, 1000, H, [
    [0, "#2f3a5e"],
    [1, "#151a33"],
  ]);
  ctx.fillRect(0, 1005, W, H - 1005);
  ctx.fillStyle = verticalGradient(ctx, 1005, H, [
    [0, "#8c79b3"],
    [1, "#4c3f73"],
  ]);
  ctx.beginPath();
  ctx.moveTo(495, 1005);
  ctx.lineTo(585, 1005);
  ctx.lineTo(860, H);
  ctx.lineTo(220, H);
  ctx.fill();

  // round bushes along the moat
  ctx.fillStyle = "#1e2a45";
  for (let i = 0; i < 26; i++) {
    const x = (i / 25) * W;
    if (x > 430 && x < 650) continue;
    ctx.beginPath();
    ctx.arc(x, 1012 + random() * 10, 24 + random() * 18, Math.PI, 0);
    ctx.fill();
  }
  // lamp posts
  for (const [x, y, s] of [
    [300, 1120, 1],
    [780, 1120, 1],
    [130, 1260, 1.4],
    [950, 1260, 1.4],
  ]) {
    ctx.fillStyle = "#1a1533";
    ctx.fillRect(x - 4 * s, y - 150 * s, 8 * s, 150 * s);
    glow(ctx, x, y - 160 * s, 60 * s, "rgba(255,210,120,0.55)");
    ctx.fillStyle = "#ffe2a0";
    ctx.beginPath();
    ctx.arc(x, y - 160 * s, 12 * s, 0, Math.PI * 2);
    ctx.fill();
  }
}

// ---- rollercoaster on a sunny day -----------------------------------------------------

function cloud(ctx: Ctx, x: number, y: number, s: number): void {
  ctx.fillStyle = "rgba(255,255,255,0.95)";
  for (const [dx, dy, r] of [
    [0, 0, 38],
    [40, -18, 46],
    [88, -4, 40],
    [120, 10, 28],
    [-36, 10, 26],
    [50, 16, 34],
  ]) {
    ctx.beginPath();
    ctx.arc(x + dx * s, y + dy * s, r * s, 0, Math.PI * 2);
    ctx.fill();
  }
}

type Pt = [number, number];

function bezierPoint(p: Pt[], t: number): Pt {
  const u = 1 - t;
  return [
    u * u * u * p[0][0] + 3 * u * u * t * p[1][0] + 3 * u * t * t * p[2][0] + t * t * t * p[3][0],
    u * u * u * p[0][1] + 3 * u * u * t * p[1][1] + 3 * u * t * t * p[2][1] + t * t * t * p[3][1],
  ];
}

function drawRollercoaster(ctx: Ctx): void {
  const random = rng(11);
  ctx.fillStyle = verticalGradient(ctx, 0, 960, [
    [0, "#2f8be0"],
    [0.6, "#8ccaf7"],
    [1, "#e4f5ff"],
  ]);
  ctx.fillRect(0, 0, W, H);
  glow(ctx, 170, 170, 240, "rgba(255,250,200,0.75)");
  ctx.fillStyle = "#fff3a0";
  ctx.beginPath();
  ctx.arc(170, 170, 70, 0, Math.PI * 2);
  ctx.fill();
  cloud(ctx, 420, 150, 1.1);
  cloud(ctx, 820, 260, 1.4);
  cloud(ctx, 120, 470, 0.9);
  cloud(ctx, 640, 520, 0.8);

  // Ferris wheel in the distance
  const fx = 170;
  const fy = 690;
  const fr = 150;
  ctx.strokeStyle = "#f5f5f5";
  ctx.lineWidth = 6;
  ctx.beginPath();
  ctx.moveTo(fx - 70, 960);
  ctx.lineTo(fx, fy);
  ctx.lineTo(fx + 70, 960);
  ctx.stroke();
  ctx.lineWidth = 5;
  ctx.beginPath();
  ctx.arc(fx, fy, fr, 0, Math.PI * 2);
  ctx.stroke();
  ctx.lineWidth = 2;
  const gondolas = ["#ff5252", "#ffd740", "#40c4ff", "#69f0ae", "#e040fb", "#ffab40"];
  for (let i = 0; i < 12; i++) {
    const a = (i / 12) * Math.PI * 2;
    ctx.beginPath();
    ctx.moveTo(fx, fy);
    ctx.lineTo(fx + Math.cos(a) * fr, fy + Math.sin(a) * fr);
    ctx.stroke();
    ctx.fillStyle = gondolas[i % gondolas.length];
    ctx.beginPath();
    ctx.roundRect(fx + Math.cos(a) * fr - 13, fy + Math.sin(a) * fr, 26, 22, 6);
    ctx.fill();
  }

  // distant trees
  ctx.fillStyle = "#4f9a4a";
  for (let i = 0; i < 40; i++) {
    ctx.beginPath();
    ctx.arc(i * 28, 960 + random() * 10, 26 + random() * 20, Math.PI, 0);
    ctx.fill();
  }

  // the coaster: a lift hill, a drop and a loop, on a lattice of supports
  const segments: Pt[][] = [
    [
      [-20, 880],
      [120, 880],
      [200, 300],
      [300, 300],
    ],
    [
      [300, 300],
      [380, 300],
      [420, 900],
      [560, 900],
    ],
    [
      [560, 900],
      [660, 900],
      [700, 710],
      [773, 707],
    ],
  ];
  const loop = { x: 820, y: 560, r: 150 };
  const exit: Pt[] = [
    [867, 707],
    [930, 715],
    [980, 760],
    [1100, 760],
  ];
  const rail: Pt[] = [];
  for (const seg of [...segments, exit]) for (let t = 0; t <= 1.0001; t += 0.02) rail.push(bezierPoint(seg, t));
  ctx.strokeStyle = "#c9ced6";
  ctx.lineWidth = 5;
  for (let i = 0; i < rail.length; i += 5) {
    const [x, y] = rail[i];
    ctx.beginPath();
    ctx.moveTo(x, y + 8);
    ctx.lineTo(x, 1000);
    ctx.stroke();
  }
  ctx.lineWidth = 2;
  for (let i = 0; i + 5 < rail.length; i += 10) {
    const [x0, y0] = rail[i];
    const [x1, y1] = rail[i + 5];
    ctx.beginPath();
    ctx.moveTo(x0, y0 + 20);
    ctx.lineTo(x1, 1000);
    ctx.moveTo(x1, y1 + 20);
    ctx.lineTo(x0, 1000);
    ctx.stroke();
  }
  ctx.lineWidth = 8;
  ctx.beginPath();
  ctx.moveTo(loop.x, loop.y + loop.r);
  ctx.lineTo(loop.x, 1000);
  ctx.stroke();
  ctx.strokeStyle = "#e53935";
  ctx.lineWidth = 12;
  ctx.lineJoin = "round";
  ctx.beginPath();
  for (const seg of segments) {
    ctx.moveTo(seg[0][0], seg[0][1]);
    ctx.bezierCurveTo(seg[1][0], seg[1][1], seg[2][0], seg[2][1], seg[3][0], seg[3][1]);
  }
  // entered heading right at the bottom, up the far side, over the top, out to the right
  ctx.moveTo(loop.x + loop.r * Math.cos(Math.PI * 0.58), loop.y + loop.r * Math.sin(Math.PI * 0.58));
  ctx.arc(loop.x, loop.y, loop.r, Math.PI * 0.58, -Math.PI * 0.5, true);
  ctx.arc(loop.x, loop.y, loop.r, -Math.PI * 0.5, -Math.PI * 1.58, true);
  ctx.moveTo(exit[0][0], exit[0][1]);
  ctx.bezierCurveTo(exit[1][0], exit[1][1], exit[2][0], exit[2][1], exit[3][0], exit[3][1]);
  ctx.stroke();
  ctx.strokeStyle = "rgba(255,255,255,0.8)";
  ctx.lineWidth = 3;
  ctx.stroke();

  // a train coming down the drop
  const cars = ["#ffd600", "#2979ff", "#ffd600", "#2979ff"];
  for (let i = 0; i < cars.length; i++) {
    const t = 0.2 + i * 0.09;
    const [x, y] = bezierPoint(segments[1], t);
    const [x2, y2] = bezierPoint(segments[1], t + 0.01);
    ctx.save();
    ctx.translate(x, y);
    ctx.rotate(Math.atan2(y2 - y, x2 - x));
    ctx.fillStyle = cars[i];
    ctx.beginPath();
    ctx.roundRect(-24, -30, 48, 26, 7);
    ctx.fill();
    ctx.fillStyle = "#ffe0c0";
    ctx.beginPath();
    ctx.arc(-6, -36, 8, 0, Math.PI * 2);
    ctx.arc(10, -36, 8, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
  }

  // lawn, walkway and flower beds
  ctx.fillStyle = verticalGradient(ctx, 990, H, [
    [0, "#79c850"],
    [1, "#3d8b2e"],
  ]);
  ctx.fillRect(0, 990, W, H - 990);
  ctx.fillStyle = verticalGradient(ctx, 990, H, [
    [0, "#f1dcb0"],
    [1, "#d8b47c"],
  ]);
  ctx.beginPath();
  ctx.moveTo(470, 990);
  ctx.lineTo(610, 990);
  ctx.lineTo(900, H);
  ctx.lineTo(180, H);
  ctx.fill();
  const petals = ["#ff4081", "#ffeb3b", "#ffffff", "#ff7043", "#b388ff"];
  for (let i = 0; i < 160; i++) {
    const left = random() < 0.5;
    const y = 1010 + random() * 330;
    const spread = ((y - 990) / (H - 990)) * 290 + 60;
    const x = left ? 470 - spread - random() * 300 : 610 + spread + random() * 300;
    ctx.fillStyle = petals[Math.floor(random() * petals.length)];
    ctx.beginPath();
    ctx.arc(x, y, 4 + random() * 5, 0, Math.PI * 2);
    ctx.fill();
  }
  // bunting across the top
  const bunting = ["#e53935", "#fdd835", "#1e88e5", "#43a047", "#fb8c00"];
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, 40);
  ctx.quadraticCurveTo(W / 2, 150, W, 40);
  ctx.stroke();
  for (let i = 0; i < 18; i++) {
    const t = (i + 0.5) / 18;
    const x = t * W;
    const y = (1 - t) * (1 - t) * 40 + 2 * (1 - t) * t * 150 + t * t * 40;
    ctx.fillStyle = bunting[i % bunting.length];
    ctx.beginPath();
    ctx.moveTo(x - 20, y);
    ctx.lineTo(x + 20, y);
    ctx.lineTo(x, y + 38);
    ctx.fill();
  }
}

// ---- tropical lagoon -------------------------------------------------------------------

function palm(ctx: Ctx, base: Pt, top: Pt, lean: number, random: () => number): void {
  const ctrl: Pt = [base[0] + lean, (base[1] + top[1]) / 2];
  const at = (t: number): Pt => {
    const u = 1 - t;
    return [
      u * u * base[0] + 2 * u * t * ctrl[0] + t * t * top[0],
      u * u * base[1] + 2 * u * t * ctrl[1] + t * t * top[1],
    ];
  };
  // tapered trunk with ring marks, thinning upwards
  const left: Pt[] = [];
  const right: Pt[] = [];
  const rings: [Pt, Pt][] = [];
  for (let i = 0; i <= 40; i++) {
    const t = i / 40;
    const [x, y] = at(t);
    const [x2, y2] = at(Math.min(1, t + 0.01));
    const [x1, y1] = at(Math.max(0, t - 0.01));
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const nx = -(y2 - y1) / len;
    const ny = (x2 - x1) / len;
    const w = 30 - t * 13;
    left.push([x + nx * w, y + ny * w]);
    right.push([x - nx * w, y - ny * w]);
    if (i % 2 === 0) rings.push([left[i], right[i]]);
  }
  const bark = ctx.createLinearGradient(base[0] - 40, 0, base[0] + 40, 0);
  bark.addColorStop(0, "#a07b52");
  bark.addColorStop(1, "#6f5134");
  ctx.fillStyle = bark;
  ctx.beginPath();
  for (const [x, y] of left) ctx.lineTo(x, y);
  for (const [x, y] of right.reverse()) ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fill();
  ctx.strokeStyle = "rgba(70,45,20,0.55)";
  ctx.lineWidth = 3;
  for (const [[ax, ay], [bx, by]] of rings) {
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.quadraticCurveTo((ax + bx) / 2, (ay + by) / 2 + 8, bx, by);
    ctx.stroke();
  }
  const [tx, ty] = top;
  const fronds = 9;
  for (let i = 0; i < fronds; i++) {
    const a = Math.PI + (i / (fronds - 1)) * Math.PI + (random() - 0.5) * 0.2;
    const len = 230 + random() * 70;
    const droop = 110 + random() * 60;
    const ex = tx + Math.cos(a) * len;
    const ey = ty + Math.sin(a) * len * 0.55 + droop;
    const mx = tx + Math.cos(a) * len * 0.5;
    const my = ty + Math.sin(a) * len * 0.5 - 30;
    const nx = -Math.sin(a) * 34;
    const ny = Math.cos(a) * 34;
    ctx.fillStyle = i % 2 === 0 ? "#2e9d4f" : "#23803f";
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.quadraticCurveTo(mx + nx, my + ny, ex, ey);
    ctx.quadraticCurveTo(mx - nx, my - ny, tx, ty);
    ctx.fill();
    ctx.strokeStyle = "#1b5e20";
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.quadraticCurveTo(mx, my, ex, ey);
    ctx.stroke();
  }
  ctx.fillStyle = "#5d4021";
  for (const [dx, dy] of [
    [-14, 18],
    [12, 20],
    [0, 34],
  ]) {
    ctx.beginPath();
    ctx.arc(tx + dx, ty + dy, 14, 0, Math.PI * 2);
    ctx.fill();
  }
}

function hibiscus(ctx: Ctx, x: number, y: number, r: number, colour: string): void {
  ctx.fillStyle = colour;
  for (let i = 0; i < 5; i++) {
    const a = (i / 5) * Math.PI * 2;
    ctx.beginPath();
    ctx.ellipse(x + Math.cos(a) * r * 0.6, y + Math.sin(a) * r * 0.6, r * 0.62, r * 0.42, a, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.fillStyle = "#ffeb3b";
  ctx.beginPath();
  ctx.arc(x, y, r * 0.18, 0, Math.PI * 2);
  ctx.fill();
}

function drawTropical(ctx: Ctx): void {
  const random = rng(23);
  const horizon = 760;
  ctx.fillStyle = verticalGradient(ctx, 0, horizon, [
    [0, "#1aa3e0"],
    [0.6, "#86dcf2"],
    [1, "#ffe6ad"],
  ]);
  ctx.fillRect(0, 0, W, H);
  glow(ctx, 790, 600, 260, "rgba(255,236,170,0.7)");
  ctx.fillStyle = "#fff2b0";
  ctx.beginPath();
  ctx.arc(790, 600, 64, 0, Math.PI * 2);
  ctx.fill();
  cloud(ctx, 300, 210, 0.9);
  cloud(ctx, 700, 140, 0.7);

  // volcanic island with a cap of cloud
  ctx.fillStyle = verticalGradient(ctx, 470, horizon, [
    [0, "#3f7f6a"],
    [1, "#2f6b55"],
  ]);
  ctx.beginPath();
  ctx.moveTo(90, horizon);
  ctx.bezierCurveTo(200, 650, 280, 490, 340, 480);
  ctx.lineTo(390, 480);
  ctx.bezierCurveTo(450, 520, 540, 680, 640, horizon);
  ctx.fill();
  cloud(ctx, 330, 470, 0.6);

  // lagoon
  ctx.fillStyle = verticalGradient(ctx, horizon, 1080, [
    [0, "#128fb0"],
    [0.5, "#2fc2c9"],
    [1, "#8ee6d6"],
  ]);
  ctx.fillRect(0, horizon, W, 1080 - horizon);
  ctx.strokeStyle = "rgba(255,255,255,0.55)";
  ctx.lineCap = "round";
  for (let i = 0; i < 60; i++) {
    const y = horizon + 10 + random() * 300;
    const x = random() * W;
    const len = 20 + ((y - horizon) / 300) * 60;
    ctx.lineWidth = 1.5 + ((y - horizon) / 300) * 2.5;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.quadraticCurveTo(x + len / 2, y - 5, x + len, y);
    ctx.stroke();
  }
  // sun glitter on the water
  ctx.fillStyle = "rgba(255,250,210,0.7)";
  for (let i = 0; i < 40; i++) {
    const y = horizon + 6 + random() * 200;
    ctx.fillRect(790 + (random() - 0.5) * (60 + (y - horizon)), y, 10 + random() * 24, 3);
  }
  // a sailing boat
  ctx.fillStyle = "#ffffff";
  ctx.beginPath();
  ctx.moveTo(950, 700);
  ctx.lineTo(950, 610);
  ctx.lineTo(1000, 700);
  ctx.fill();
  ctx.fillStyle = "#c0392b";
  ctx.beginPath();
  ctx.moveTo(925, 705);
  ctx.lineTo(1010, 705);
  ctx.lineTo(995, 720);
  ctx.lineTo(938, 720);
  ctx.fill();

  // beach with a foamy shoreline
  const shore = (c: Ctx): void => {
    c.beginPath();
    c.moveTo(0, 1010);
    c.bezierCurveTo(250, 960, 450, 1050, 700, 1000);
    c.bezierCurveTo(850, 970, 980, 990, W, 975);
    c.lineTo(W, H);
    c.lineTo(0, H);
    c.closePath();
  };
  ctx.fillStyle = verticalGradient(ctx, 960, H, [
    [0, "#f7e2b3"],
    [1, "#e0b978"],
  ]);
  shore(ctx);
  ctx.fill();
  ctx.strokeStyle = "rgba(255,255,255,0.85)";
  ctx.lineWidth = 8;
  ctx.beginPath();
  ctx.moveTo(0, 1010);
  ctx.bezierCurveTo(250, 960, 450, 1050, 700, 1000);
  ctx.bezierCurveTo(850, 970, 980, 990, W, 975);
  ctx.stroke();
  ctx.fillStyle = "rgba(160,120,70,0.25)";
  for (let i = 0; i < 400; i++) ctx.fillRect(random() * W, 1020 + random() * 330, 2, 2);

  palm(ctx, [110, 1250], [230, 360], -120, random);
  palm(ctx, [980, 1270], [850, 470], 140, random);
  hibiscus(ctx, 70, 1100, 40, "#ff4f7b");
  hibiscus(ctx, 150, 1160, 30, "#ff8a3d");
  hibiscus(ctx, 1010, 1120, 38, "#ff4f7b");
  hibiscus(ctx, 930, 1180, 28, "#ffd23f");
}

// ---- frame overlay -------------------------------------------------------------------

function drawFrame(ctx: Ctx): void {
  // white print border with rounded inner corners and a gold rule
  ctx.fillStyle = "#fffaf0";
  ctx.fillRect(0, 0, W, H);
  ctx.globalCompositeOperation = "destination-out";
  ctx.beginPath();
  ctx.roundRect(FRAME_BORDER, FRAME_BORDER, W - 2 * FRAME_BORDER, H - 2 * FRAME_BORDER, 26);
  ctx.fill();
  ctx.globalCompositeOperation = "source-over";
  ctx.strokeStyle = "#d4a62a";
  ctx.lineWidth = 5;
  ctx.beginPath();
  ctx.roundRect(FRAME_BORDER + 2, FRAME_BORDER + 2, W - 2 * FRAME_BORDER - 4, H - 2 * FRAME_BORDER - 4, 24);
  ctx.stroke();

  // ribbon tails, folded behind the banner
  const { x, y, width, height } = BANNER;
  const tailTop = y + 26;
  const tailBottom = y + height + 14;
  ctx.fillStyle = "#9e1b3a";
  for (const side of [-1, 1]) {
    const inner = side < 0 ? x + 40 : x + width - 40;
    const outer = side < 0 ? 36 : W - 36;
    const notch = side < 0 ? outer + 34 : outer - 34;
    ctx.beginPath();
    ctx.moveTo(inner, tailTop);
    ctx.lineTo(outer, tailTop);
    ctx.lineTo(notch, (tailTop + tailBottom) / 2);
    ctx.lineTo(outer, tailBottom);
    ctx.lineTo(inner, tailBottom);
    ctx.closePath();
    ctx.fill();
  }
  // banner body
  ctx.save();
  ctx.shadowColor = "rgba(0,0,0,0.35)";
  ctx.shadowBlur = 18;
  ctx.shadowOffsetY = 6;
  const body = ctx.createLinearGradient(0, y, 0, y + height);
  body.addColorStop(0, "#ef4b67");
  body.addColorStop(1, "#c2184f");
  ctx.fillStyle = body;
  ctx.beginPath();
  ctx.roundRect(x, y, width, height, 22);
  ctx.fill();
  ctx.restore();
  ctx.strokeStyle = "#f3c443";
  ctx.lineWidth = 5;
  ctx.beginPath();
  ctx.roundRect(x, y, width, height, 22);
  ctx.stroke();
  ctx.setLineDash([10, 8]);
  ctx.strokeStyle = "rgba(255,255,255,0.6)";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.roundRect(x + 12, y + 12, width - 24, height - 24, 14);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#f3c443";
  star(ctx, x + 40, y + height / 2, 24, 10);
  star(ctx, x + width - 40, y + height / 2, 24, 10);

  // a small "souvenir" tab on top of the banner
  ctx.font = `22px "${FONT_FAMILY}"`;
  const label = "★ SOUVENIR PHOTO ★";
  const labelWidth = ctx.measureText(label).width + 40;
  ctx.fillStyle = "#f3c443";
  ctx.beginPath();
  ctx.roundRect(W / 2 - labelWidth / 2, y - BANNER_TAB_HEIGHT, labelWidth, 2 * BANNER_TAB_HEIGHT - 4, 18);
  ctx.fill();
  ctx.fillStyle = "#7a1030";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(label, W / 2, y - 2);
}

function main(): void {
  const dir = __dirname;
  if (!GlobalFonts.registerFromPath(path.join(dir, "fonts", "DejaVuSans-Bold.ttf"), FONT_FAMILY)) {
    throw new Error("cannot register the shipped font");
  }
  fs.mkdirSync(path.join(dir, "backgrounds"), { recursive: true });
  const painters: Record<string, (ctx: Ctx) => void> = {
    castle: drawCastle,
    rollercoaster: drawRollercoaster,
    tropical: drawTropical,
  };
  for (const [name, paint] of Object.entries(painters)) {
    const canvas = createCanvas(W, H);
    paint(canvas.getContext("2d"));
    const file = path.join(dir, "backgrounds", `${name}.jpg`);
    fs.writeFileSync(file, canvas.encodeSync("jpeg", 90));
    console.log(`${file}: ${fs.statSync(file).size} bytes`);
  }
  const frame = createCanvas(W, H);
  drawFrame(frame.getContext("2d"));
  const file = path.join(dir, "frame.png");
  fs.writeFileSync(file, frame.encodeSync("png"));
  console.log(`${file}: ${fs.statSync(file).size} bytes`);
}

main();
