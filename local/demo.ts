import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { listen, putPhoto, requestUpload } from "./client";
import type { Notification } from "./client";
import type { Stack } from "./stack";

export interface DemoResult {
  notification: Notification;
  /** Where the running stack serves the souvenir (photoProcessed only). */
  url?: string;
  /** A copy of the souvenir on disk (photoProcessed only). */
  file?: string;
}

/** One photo through the whole local flow, as the page sends it: subscribe, presign, PUT, wait for the topic. */
export async function runDemo(stack: Stack, photoPath: string, timeoutMs = 60_000): Promise<DemoResult> {
  const photo = await readFile(photoPath).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the photo ${photoPath}: ${err.code ?? err.message}`);
  });
  const listener = await listen(stack.mqttWsUrl, stack.env.NOTIFY_TOPIC);
  try {
    const ticket = await requestUpload(`${stack.webUrl}/Upload`);
    await putPhoto(ticket.uploadURL, photo);
    const notification = await listener.waitFor(ticket.photoFilename, timeoutMs);
    if (notification.type !== "photoProcessed" || !notification.message.URL) return { notification };
    const url = notification.message.URL;
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`the souvenir URL ${url} answered ${res.status}`);
    const file = path.join(stack.dataDir, "demo", path.basename(ticket.photoFilename));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return { notification, url, file };
  } finally {
    await listener.close();
  }
}
