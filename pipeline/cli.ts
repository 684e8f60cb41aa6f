#!/usr/bin/env node
/**
 * The pipeline on local files, for trying the keyer and the themes without any stack:
 * the same decode -> key -> composite -> encode steps the stage handlers run (pipeline/stages.ts), with
 * `process` handing the cut-out straight to the compositor instead of through a PNG.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { composite } from "./composite";
import { isPhotoError } from "./errors";
import { decodePhoto } from "./image-input";
import { encodeJpeg, encodePng } from "./image-output";
import type { Rgba } from "./rgba";
import { cutOut, decodeGuestPhoto } from "./stages";
import { resolveTheme, THEMES } from "./themes";

const NAME = "theme-park-photos";

export const USAGE = `Usage:
  ${NAME} chromakey IN OUT.png          key out the green screen (RGBA PNG)
  ${NAME} composite IN.png OUT.jpg      place a keyed subject in a theme-park scene
  ${NAME} process IN OUT.jpg            both: photo in, souvenir out
  ${NAME} --help

IN is a JPEG or PNG (recognised from its bytes). OUT is .png or .jpg/.jpeg.
Options for composite and process:
  --theme NAME        ${THEMES.join(", ")} (default: chosen from the photo id)
  --park-name TEXT    text on the banner
  --id PHOTO_ID       photo id the theme is chosen from (default: IN's file name)
`;

class UsageError extends Error {}

export interface Command {
  action: "chromakey" | "composite" | "process" | "help";
  input: string;
  output: string;
  theme?: string;
  parkName?: string;
  photoId: string;
}

type OutputFormat = "png" | "jpeg";

function outputFormat(file: string): OutputFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".png") return "png";
  if (ext === ".jpg" || ext === ".jpeg") return "jpeg";
  throw new UsageError(`output ${file} must end in .png, .jpg or .jpeg`);
}

/** argv without node and the script. Pure: throws UsageError on anything it cannot run. */
export function parseCommandLine(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        theme: { type: "string" },
        "park-name": { type: "string" },
        id: { type: "string" },
      },
    });
  } catch (err) {
    // node's own messages run on with advice about "--"; the option's name is what matters.
    const message = (err as Error).message;
    const option = /option '([^']+)'/i.exec(message)?.[1];
    throw new UsageError(option ? `unknown or incomplete option ${option}` : message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === "help") return { action: "help", input: "", output: "", photoId: "" };
  const [action, input, output, ...extra] = positionals;
  if (action === undefined) throw new UsageError("no command given");
  if (action !== "chromakey" && action !== "composite" && action !== "process") {
    throw new UsageError(`unknown command "${action}"`);
  }
  if (input === undefined || output === undefined) throw new UsageError(`${action} needs IN and OUT files`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const format = outputFormat(output);
  if (action === "chromakey" && format !== "png")
    throw new UsageError("chromakey output must be .png (it keeps the alpha)");
  if (action === "chromakey" && (values.theme !== undefined || values["park-name"] !== undefined)) {
    throw new UsageError("--theme and --park-name apply to composite and process");
  }
  if (values.theme !== undefined && !THEMES.includes(values.theme)) {
    throw new UsageError(`unknown theme "${values.theme}"; known themes: ${THEMES.join(", ")}`);
  }
  return {
    action,
    input,
    output,
    theme: values.theme,
    parkName: values["park-name"],
    photoId: values.id ?? path.basename(input).replace(/\.[^.]*$/, ""),
  };
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${describeFsError(err)}`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EISDIR") return "is a directory";
  if (code === "EACCES") return "permission denied";
  return (err as Error).message;
}

async function encode(img: Rgba, file: string): Promise<Buffer> {
  return outputFormat(file) === "png" ? encodePng(img) : encodeJpeg(img);
}

/** How transparent an image is, 0..1: the share of its area that shows what is behind it. */
export function transparency(img: Rgba): number {
  let sum = 0;
  for (let i = 3; i < img.data.length; i += 4) sum += 255 - img.data[i];
  return img.data.length === 0 ? 0 : sum / 255 / (img.data.length / 4);
}

/** What a command wrote, for its one line on stdout. */
export interface Written {
  file: string;
  width: number;
  height: number;
  format: OutputFormat;
  bytes: number;
  theme?: string;
  transparency?: number;
  ms: number;
}

export function describeWritten(w: Written): string {
  const size = w.bytes < 1024 * 1024 ? `${Math.round(w.bytes / 1024)} KB` : `${(w.bytes / 1024 / 1024).toFixed(1)} MB`;
  const details = [`${w.width}x${w.height} ${w.format.toUpperCase()}`, size];
  if (w.theme !== undefined) details.push(`theme ${w.theme}`);
  if (w.transparency !== undefined) details.push(`${Math.round(w.transparency * 100)}% transparent`);
  return `wrote ${w.file} (${details.join(", ")}) in ${(w.ms / 1000).toFixed(1)} s`;
}

export async function runCommand(cmd: Command): Promise<Written> {
  const started = performance.now();
  const bytes = await readInput(cmd.input);
  const keying = cmd.action === "chromakey" || cmd.action === "process";
  let img: Rgba;
  try {
    // A photo is held to what the chromakey stage takes; a cut-out, like the compositor's input, to any size.
    img = keying ? cutOut(await decodeGuestPhoto(bytes)).image : await decodePhoto(bytes);
  } catch (err) {
    if (isPhotoError(err)) throw new Error(`${cmd.input}: ${err.reason}`);
    throw err;
  }
  // An opaque input would be pasted whole, screen and all, as a rectangle in the scene.
  if (cmd.action === "composite" && transparency(img) === 0) {
    throw new Error(
      `${cmd.input} has no transparency: composite takes a keyed cut-out (the PNG chromakey writes); for a photo, use process`,
    );
  }
  let theme: string | undefined;
  if (cmd.action === "composite" || cmd.action === "process") {
    theme = resolveTheme(cmd.photoId, cmd.theme);
    img = await composite(img, { photoId: cmd.photoId, theme, parkName: cmd.parkName });
  }
  const out = await encode(img, cmd.output);
  try {
    await fs.promises.writeFile(cmd.output, out);
  } catch (err) {
    throw new Error(`cannot write ${cmd.output}: ${describeFsError(err)}`);
  }
  return {
    file: cmd.output,
    width: img.width,
    height: img.height,
    format: outputFormat(cmd.output),
    bytes: out.length,
    theme,
    transparency: cmd.action === "chromakey" ? transparency(img) : undefined,
    ms: performance.now() - started,
  };
}

/** Runs the CLI; returns the exit code. Every failure is one line on stderr, never a stack. */
export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCommandLine(argv);
  } catch (err) {
    io.err(`${NAME}: ${(err as Error).message} (see ${NAME} --help)\n`);
    return 2;
  }
  if (cmd.action === "help") {
    io.out(USAGE);
    return 0;
  }
  try {
    io.out(`${describeWritten(await runCommand(cmd))}\n`);
    return 0;
  } catch (err) {
    const message = isPhotoError(err) ? err.reason : err instanceof Error ? err.message : String(err);
    io.err(`${NAME}: ${message.split("\n")[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
  });
}
