/**
 * Web Locks keep one sync loop and one token refresh at a time across tabs (and the service
 * worker). Where the API is missing (old browsers, Node tests) an in-process queue stands in.
 */
const local = new Map<string, Promise<unknown>>();

export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks?.request) return locks.request(name, () => fn()) as Promise<T>;
  const prev = local.get(name) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(fn);
  local.set(name, run);
  try {
    return await run;
  } finally {
    if (local.get(name) === run) local.delete(name);
  }
}
