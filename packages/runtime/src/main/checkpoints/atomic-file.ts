/**
 * Durable file writes for the file checkpoint store: atomic replace (temp file, fsync, rename) and
 * directory fsync, so a crash leaves either the old file or the whole new one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';

/**
 * Temp file, fsync, rename: readers see the old file or the whole new one, never part of it. Without
 * `sync` the fsync is skipped: still atomic for every reader and after the process is killed (the
 * operating system has the data), but a power cut may lose or reorder recent writes.
 */
export async function writeAtomic(path: string, bytes: Uint8Array, sync = true): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    if (sync) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Makes a rename or unlink in `dir` durable. Platforms that cannot fsync a directory skip it. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (hasCode(error, 'EISDIR') || hasCode(error, 'EPERM')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!hasCode(error, 'EINVAL') && !hasCode(error, 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

/** Files {@link removeFiles} deletes at once: enough to overlap I/O without running out of descriptors. */
const REMOVE_BATCH = 32;

/**
 * Deletes `paths` (missing ones are no error), {@link REMOVE_BATCH} at a time — one at a time, pruning a
 * run's checkpoints was hundreds of thread-pool round trips in a row. Throws the first failure once all
 * of a batch have settled.
 */
export async function removeFiles(paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += REMOVE_BATCH) {
    const batch = paths.slice(i, i + REMOVE_BATCH).map((path) => rm(path, { force: true }));
    const failed = (await Promise.allSettled(batch)).find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** Whether `path` exists; errors other than "not found" are thrown. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function hasCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

/** Whether a file-system error means "no such file". */
export function isMissing(error: unknown): boolean {
  return hasCode(error, 'ENOENT');
}
