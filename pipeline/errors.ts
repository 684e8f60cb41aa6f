/**
 * A photo that cannot be processed, for a reason a guest can be told.
 * Anything else thrown in a stage is a fault of ours or of the platform, not of the photo.
 */
export class PhotoError extends Error {
  constructor(
    /** Short and human-readable: it goes into the photoFailed notification as is. */
    readonly reason: string,
  ) {
    super(reason);
    this.name = "PhotoError";
  }
}

export function isPhotoError(err: unknown): err is PhotoError {
  return err instanceof PhotoError;
}
