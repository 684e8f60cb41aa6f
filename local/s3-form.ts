import busboy from "busboy";
import type { IncomingMessage } from "node:http";
import { checkFileSize } from "./post-policy";
import type { PolicyLimits } from "./post-policy";
import type { Verdict } from "./sigv4";

/** Largest form upload when a policy sets no content-length-range (S3 allows 5 GB; this is one machine). */
const FORM_UPLOAD_CAP = 64 * 1024 * 1024;

export type FormResult =
  { ok: true; fields: Map<string, string>; raw: Buffer } | { ok: false; status: number; code: string; message: string };

/**
 * Reads a multipart form upload, checking the policy when the file starts (the fields before it are all S3
 * considers) and its size as it streams, so a refused upload is not read to the end.
 */
export function readForm(
  req: IncomingMessage,
  /** the policy check, given the fields that came before the file */
  check: (fields: ReadonlyMap<string, string>) => Verdict & { limits?: PolicyLimits },
): Promise<FormResult> {
  return new Promise((resolve) => {
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: 20 * 1024, fields: 100, parts: 110 } });
    } catch {
      req.resume();
      return resolve({
        ok: false,
        status: 412,
        code: "PreconditionFailed",
        message: "Bucket POST must be of the enclosure-type multipart/form-data",
      });
    }
    const fields = new Map<string, string>();
    const raw: Buffer[] = [];
    let rawBytes = 0;
    let limits: PolicyLimits | undefined;
    let fileBytes = 0;
    let sawFile = false;
    let settled = false;
    const settle = (result: FormResult): void => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume();
      resolve(result);
    };
    const startFile = (): boolean => {
      sawFile = true;
      const verdict = check(fields);
      if (!verdict.ok) {
        settle(verdict);
        return false;
      }
      limits = verdict.limits;
      return true;
    };
    const grow = (bytes: number): void => {
      fileBytes += bytes;
      const size = checkFileSize(fileBytes, { minBytes: 0, maxBytes: limits?.maxBytes ?? FORM_UPLOAD_CAP });
      if (!size.ok) settle(size);
    };
    parser.on("field", (name, value, info) => {
      if (sawFile) return;
      if (name === "file") {
        // A file sent without a filename arrives as a field; S3 takes it all the same.
        if (startFile()) grow(info.valueTruncated ? Number.MAX_SAFE_INTEGER : Buffer.byteLength(value));
        return;
      }
      fields.set(name.toLowerCase(), value);
    });
    parser.on("file", (name, stream) => {
      if (name !== "file" || sawFile || !startFile()) {
        stream.resume();
        return;
      }
      stream.on("data", (chunk: Buffer) => grow(chunk.length));
    });
    parser.on("error", () =>
      settle({
        ok: false,
        status: 400,
        code: "MalformedPOSTRequest",
        message: "The body of your POST request is not well-formed multipart/form-data.",
      }),
    );
    parser.on("close", () => {
      if (!sawFile)
        return settle({
          ok: false,
          status: 400,
          code: "InvalidArgument",
          message: "POST requires exactly one file upload per request.",
        });
      const size = checkFileSize(fileBytes, limits);
      if (!size.ok) return settle(size);
      settle({ ok: true, fields, raw: Buffer.concat(raw) });
    });
    req.on("data", (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes > (limits?.maxBytes ?? FORM_UPLOAD_CAP) + 1024 * 1024)
        return settle({
          ok: false,
          status: 400,
          code: "EntityTooLarge",
          message: "Your proposed upload exceeds the maximum allowed size",
        });
      if (!settled) raw.push(chunk);
    });
    req.pipe(parser);
  });
}
