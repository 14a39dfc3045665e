/**
 * What the store tests share: a temporary directory, a file count, and a checkpoint write with text blobs.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointWrite } from './checkpoint-store.ts';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'superstep-checkpoints-'));
}

export async function countFiles(directory: string): Promise<number> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).length;
}

export function write(id: string, blobs: readonly string[] = []): CheckpointWrite {
  const shipped = blobs.map((text) => {
    const data = new TextEncoder().encode(text);
    return [createHash('sha256').update(data).digest('hex'), data] as const;
  });
  return {
    meta: {
      id,
      workflowName: 'wf',
      lineageId: 'L1',
      runId: null,
      parentId: null,
      superstep: 0,
      createdAt: 1,
      signature: 'sig',
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      blobHashes: shipped.map(([hash]) => hash),
    },
    body: new TextEncoder().encode(`body of ${id}`),
    blobs: shipped,
  };
}
