/** The notification shapes the workshop front-end subscribes to (README: "What the front-end relies on"); extend only additively. */
export interface PhotoProcessed {
  level: "info";
  type: "photoProcessed";
  message: { ObjectKey: string; URL: string };
}

export interface PhotoFailed {
  level: "error";
  type: "photoFailed";
  message: { ObjectKey: string; reason: string };
}

export type Notification = PhotoProcessed | PhotoFailed;

export const photoProcessed = (objectKey: string, url: string): PhotoProcessed => ({
  level: "info",
  type: "photoProcessed",
  message: { ObjectKey: objectKey, URL: url },
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
