/** The notification shapes the workshop front-end subscribes to (README: "What the front-end relies on"); extend only additively. */
export interface PhotoProcessed {
  level: "info";
  type: "photoProcessed";
  /** `hint`: optional, a short sentence for the guest about their photo (e.g. clothes that matched the screen). */
  message: { ObjectKey: string; URL: string; hint?: string };
}

/** User metadata (on the processing PNG, then the final JPEG) carrying the keyer's hint to the notification. */
export const HINT_METADATA = "hint";

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

/**
 * Additive: the step a photo has reached, for its own page (which shows it while the guest waits). Sent on the
 * photo's own topic only; listeners of the shared topic get just the two messages above.
 */
export interface PhotoProgress {
  level: "info";
  type: "photoProgress";
  message: { ObjectKey: string; step: string };
}

export const photoProgress = (objectKey: string, step: string): PhotoProgress => ({
  level: "info",
  type: "photoProgress",
  message: { ObjectKey: objectKey, step },
});
