import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { photoTopic } from "../pipeline/keys";
import { listen, putPhoto, requestUpload } from "./client";
import type { Notification } from "./client";
import type { FrontendConfig } from "./web-server";

/** What the demo needs of a stack: what the page reads from `/frontend-config.json`. */
export type DemoTarget = Pick<FrontendConfig, "uploadUrl" | "mqttUrl" | "topic">;

export interface DemoResult {
  notification: Notification;
  /** Where the stack serves the souvenir (photoProcessed only). */
  url?: string;
  /** A copy of the souvenir on disk (photoProcessed only). */
  file?: string;
}

/**
 * The configuration of a local stack already answering at `webUrl`, or undefined when nothing answers there
 * (something else on the port answers, but not as a stack: then starting one will say the port is taken).
 */
export async function findRunningStack(webUrl: string, timeoutMs = 1500): Promise<DemoTarget | undefined> {
  try {
    const res = await fetch(`${webUrl}/frontend-config.json`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return undefined;
    const config = (await res.json()) as Partial<FrontendConfig>;
    const { uploadUrl, mqttUrl, topic } = config;
    if (typeof uploadUrl !== "string" || typeof mqttUrl !== "string" || typeof topic !== "string") return undefined;
    return { uploadUrl, mqttUrl, topic };
  } catch {
    return undefined;
  }
}

/**
 * One photo through the whole flow, as the page sends it: presign, subscribe, upload, wait for the topic.
 * The souvenir is fetched from its URL, as a guest's phone would, and a copy is kept in `saveDir`.
 */
export async function runDemo(
  target: DemoTarget,
  photoPath: string,
  saveDir: string,
  timeoutMs = 60_000,
): Promise<DemoResult> {
  const photo = await readFile(photoPath).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the photo ${photoPath}: ${err.code ?? err.message}`);
  });
  const ticket = await requestUpload(target.uploadUrl);
  // The photo's own topic (published whether or not the shared one is), subscribed before the upload.
  const listener = await listen(target.mqttUrl, photoTopic(target.topic, ticket.photoFilename) ?? target.topic);
  try {
    await putPhoto(ticket.uploadURL, photo);
    const notification = await listener.waitFor(ticket.photoFilename, timeoutMs);
    if (notification.type !== "photoProcessed" || !notification.message.URL) return { notification };
    const url = notification.message.URL;
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`the souvenir URL ${url} answered ${res.status}`);
    const file = path.join(saveDir, path.basename(ticket.photoFilename));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return { notification, url, file };
  } finally {
    await listener.close();
  }
}
