/** The notification shapes the workshop front-end subscribes to (README: "What the front-end relies on"); extend only additively. */
export interface PhotoProcessed {
  level: "info";
  type: "photoProcessed";
  /** `hint`: optional, a short sentence for the guest about their photo (e.g. clothes that matched the screen). */
  message: { ObjectKey: string; URL: string; hint?: string };
}

export interface PhotoFailed {
  level: "error";
  type: "photoFailed";
  message: { ObjectKey: string; reason: string };
}

export type Notification = PhotoProcessed | PhotoFailed;

export const photoProcessed = (objectKey: string, url: string, hint?: string): PhotoProcessed => ({
  level: "info",
  type: "photoProcessed",
  message: { ObjectKey: objectKey, URL: url, ...(hint ? { hint } : {}) },
});

export const photoFailed = (objectKey: string, reason: string): PhotoFailed => ({
  level: "error",
  type: "photoFailed",
  message: { ObjectKey: objectKey, reason },
});
