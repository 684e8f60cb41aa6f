import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Which object versions' ObjectCreated events a stage has finished with, kept in the data folder. S3 keeps an
 * event until its function has run (retrying it); the local stack keeps its events in memory, so after a crash
 * it looks at what the buckets hold and runs every object not recorded here again, as those retries would.
 * One line per finished event, appended as it finishes (a torn last line after a crash is ignored: that event
 * simply runs again, and the stages are idempotent).
 */
export interface EventJournal {
  has(id: string): boolean;
  /** Records that the event for `id` has been handled (succeeded, or failed and reported). */
  done(id: string): void;
  /** Forgets every entry not in `current` (objects since deleted), rewriting the file whole. */
  retainOnly(current: ReadonlySet<string>): void;
}

/** An object version, as the journal names it. */
export const eventId = (bucket: string, key: string, eTag: string): string =>
  JSON.stringify([bucket, key, eTag.replace(/"/g, "")]);

export function openEventJournal(dataDir: string): EventJournal {
  const file = path.join(dataDir, ".stack", "handled-events.jsonl");
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const ids = new Set<string>();
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
  for (const line of text.split("\n")) {
    if (isId(line)) ids.add(line);
  }
  return {
    has: (id) => ids.has(id),
    done(id) {
      if (ids.has(id)) return;
      ids.add(id);
      appendFileSync(file, `${id}\n`);
    },
    retainOnly(current) {
      for (const id of ids) if (!current.has(id)) ids.delete(id);
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, [...ids].map((id) => `${id}\n`).join(""));
      renameSync(temp, file);
    },
  };
}

function isId(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === "string");
  } catch {
    return false;
  }
}
