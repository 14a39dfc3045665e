/**
 * The per-document work of the map-reduce example, pure and worker-safe: read a Brown Corpus document
 * (tokens written `word/tag`), normalise each word and count stems. The same functions run in the
 * workflow's `map` executor and in the plain main-thread loop it is compared with.
 */
import { porterStem } from './porter-stemmer.ts';

/** One document of the corpus. */
export interface Doc {
  /** Its file name in the corpus, e.g. `ca01`. */
  readonly id: string;
  readonly text: string;
}

/** Stem → occurrences (stems are a–z, so no key can be `__proto__`). */
export type Counts = Record<string, number>;

/** What the example prints and compares: the corpus' size and its most frequent stems. */
export interface Summary {
  readonly documents: number;
  readonly tokens: number;
  readonly distinct: number;
  readonly top: readonly (readonly [stem: string, count: number])[];
}

/** Frequent function words, left out of the counts (the usual English stop list, abridged). */
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by could did do does doing down during each few for from further had has have having he ' +
    'her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor ' +
    'not now of off on once only or other our ours ourselves out over own same she should so some such than ' +
    'that the their theirs them themselves then there these they this those through to too under until up very ' +
    'was we were what when where which while who whom why will with would you your yours yourself yourselves'
  ).split(' '),
);

const COMBINING_MARKS = /\p{M}+/gu;
const NOT_LETTERS = /[^a-z]+/g;

/**
 * Normalises one word: lower case, compatibility decomposition (NFKD) with accents dropped, letters a–z
 * only; returns '' for what is not a word.
 *
 * @example
 * normaliseWord("Naïve's"); // 'naives'
 */
export function normaliseWord(raw: string): string {
  return raw.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase().replace(NOT_LETTERS, '');
}

/**
 * Counts the stems of one document: each `word/tag` token is split at its last `/`, punctuation tags are
 * skipped, the word is normalised, stop words and one-letter words are dropped, the rest is stemmed.
 *
 * @example
 * countStems('The/at jury/nn said/vbd ./. Juries/nns'); // { juri: 2, said: 1 }
 */
export function countStems(text: string): Counts {
  const counts: Counts = {};
  for (const token of text.split(/\s+/)) {
    const slash = token.lastIndexOf('/');
    const word = normaliseWord(slash > 0 ? token.slice(0, slash) : token);
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    const stem = porterStem(word);
    counts[stem] = (counts[stem] ?? 0) + 1;
  }
  return counts;
}

/** Adds `part` into `into` (in place) and returns `into`. */
export function mergeCounts(into: Counts, part: Readonly<Counts>): Counts {
  for (const stem in part) into[stem] = (into[stem] ?? 0) + (part[stem] ?? 0);
  return into;
}

/**
 * Counts packed for the trip between threads: the stems joined by newlines into one string, the counts in a
 * typed array. Why: the codec writes an object's keys as a record shape (slow for thousands of distinct keys),
 * and even an array of thousands of short strings costs a string header each; one string and one typed array
 * are copied almost as bytes. This cuts the time to move a chunk's counts roughly tenfold.
 */
export interface PackedCounts {
  /** Stems, `\n`-separated (stems are a–z, so they hold no newline). */
  readonly stems: string;
  readonly counts: Uint32Array;
}

/** Packs counts for sending. */
export function packCounts(counts: Readonly<Counts>): PackedCounts {
  const stems = Object.keys(counts);
  return { stems: stems.join('\n'), counts: Uint32Array.from(stems, (stem) => counts[stem] ?? 0) };
}

/** Adds packed counts into `into` (in place) and returns `into`. */
export function mergePacked(into: Counts, part: PackedCounts): Counts {
  const { counts } = part;
  if (counts.length === 0) return into;
  const stems = part.stems.split('\n');
  for (let i = 0; i < stems.length; i++) {
    const stem = stems[i] ?? '';
    into[stem] = (into[stem] ?? 0) + (counts[i] ?? 0);
  }
  return into;
}

/** Which of `partitions` reducers a stem belongs to: FNV-1a of its letters, so every thread agrees. */
export function partitionOf(stem: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < stem.length; i++) hash = Math.imul(hash ^ stem.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % partitions;
}

/**
 * Splits counts by {@link partitionOf} into `partitions` packed parts (some may be empty), in one pass: each
 * stem goes straight into its part's list of stems and list of counts, with no object per part in between.
 */
export function partitionCounts(counts: Readonly<Counts>, partitions: number): PackedCounts[] {
  const stems: string[][] = Array.from({ length: partitions }, () => []);
  const numbers: number[][] = Array.from({ length: partitions }, () => []);
  for (const stem in counts) {
    const partition = partitionOf(stem, partitions);
    stems[partition]?.push(stem);
    numbers[partition]?.push(counts[stem] ?? 0);
  }
  return stems.map((list, partition) => ({
    stems: list.join('\n'),
    counts: Uint32Array.from(numbers[partition] ?? []),
  }));
}

/** Ranks two stem counts: more first, then by stem. */
const before = (a: readonly [string, number], b: readonly [string, number]): boolean =>
  a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);

/** The summary of merged counts: totals and the `n` most frequent stems (ties by stem, so it is stable). */
export function summarise(counts: Readonly<Counts>, documents: number, n = 15): Summary {
  // One pass with a small sorted list of the best n: no sort of every distinct stem.
  const top: [string, number][] = [];
  let tokens = 0;
  let distinct = 0;
  for (const stem in counts) {
    const entry: [string, number] = [stem, counts[stem] ?? 0];
    tokens += entry[1];
    distinct += 1;
    const last = top[top.length - 1];
    if (top.length === n && last !== undefined && !before(entry, last)) continue;
    let at = top.length;
    for (let above = top[at - 1]; above !== undefined && before(entry, above); above = top[at - 1]) at--;
    top.splice(at, 0, entry);
    if (top.length > n) top.pop();
  }
  return { documents, tokens, distinct, top };
}

/**
 * The summary of the whole corpus from the summaries of disjoint partitions (each counted every document, so
 * `documents` is the same in each): totals add up, and the best `n` overall are among the partitions' best `n`.
 */
export function combineSummaries(parts: readonly Summary[], n = 15): Summary {
  const top = parts
    .flatMap((part) => part.top)
    .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
    .slice(0, n);
  return {
    documents: parts[0]?.documents ?? 0,
    tokens: parts.reduce((sum, part) => sum + part.tokens, 0),
    distinct: parts.reduce((sum, part) => sum + part.distinct, 0),
    top,
  };
}
