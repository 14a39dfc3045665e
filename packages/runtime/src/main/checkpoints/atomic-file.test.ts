/** The file store's batch writes: all of a batch's files land whole, or (when one cannot be written) none of them. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAllAtomic } from './atomic-file.ts';

describe('writeAllAtomic', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'superstep-atomic-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  for (const sync of [false, true]) {
    it(`writes every file whole and leaves no temp file (fsync: ${sync})`, async () => {
      const files = [
        [join(directory, 'a'), new TextEncoder().encode('first')],
        [join(directory, 'b'), new Uint8Array(70_000).fill(7)],
      ] as const;
      await writeAllAtomic(files, sync);
      expect((await readdir(directory)).sort()).toEqual(['a', 'b']);
      for (const [path, bytes] of files) expect(new Uint8Array(await readFile(path))).toEqual(bytes);
    });
  }

  it('renames none of the files into place when one of them cannot be written, and removes the temp files', async () => {
    const files = [
      [join(directory, 'a'), new TextEncoder().encode('first')],
      [join(directory, 'missing', 'b'), new TextEncoder().encode('second')],
    ] as const;
    await expect(writeAllAtomic(files, false)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(directory)).toEqual([]);
  });

  it('replaces an existing file atomically with the new bytes', async () => {
    const path = join(directory, 'a');
    await writeAllAtomic([[path, new TextEncoder().encode('old')]], false);
    await writeAllAtomic([[path, new TextEncoder().encode('new')]], true);
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(directory)).toEqual(['a']);
  });
});
