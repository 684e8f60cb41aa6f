/**
 * One holder at a time per name, in arrival order: the local S3 serialises every write to one object through it,
 * so checking a condition (If-None-Match, If-Match) and committing the write happen with nothing in between.
 */
export type KeyLock = (name: string) => Promise<() => void>;

export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<void>>();
  return async (name) => {
    const previous = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    tails.set(name, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (tails.get(name) === tail) tails.delete(name);
    };
  };
}
