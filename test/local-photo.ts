import { createCanvas } from "@napi-rs/canvas";

/**
 * A small stand-in selfie for the local stack's tests: a figure in front of an unevenly lit green screen, as a
 * JPEG. Small on purpose, so fifty of them go through the pipeline quickly on two cores.
 */
export async function greenScreenJpeg(width = 480, height = 600): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const screen = ctx.createRadialGradient(width * 0.4, height * 0.3, 10, width / 2, height / 2, width);
  screen.addColorStop(0, "rgb(40, 200, 70)");
  screen.addColorStop(1, "rgb(20, 140, 50)");
  ctx.fillStyle = screen;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "rgb(40, 60, 160)";
  ctx.beginPath();
  ctx.ellipse(width / 2, height * 0.95, width * 0.32, height * 0.35, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "rgb(230, 180, 150)";
  ctx.beginPath();
  ctx.ellipse(width / 2, height * 0.4, width * 0.16, height * 0.17, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "rgb(70, 40, 25)";
  ctx.beginPath();
  ctx.ellipse(width / 2, height * 0.3, width * 0.17, height * 0.09, 0, Math.PI, Math.PI * 2);
  ctx.fill();
  return canvas.encode("jpeg", 90);
}
