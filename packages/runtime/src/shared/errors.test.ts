/**
 * The error and warning tables' contract (after fastify's errors test): every code is unique, well formed
 * and documented in docs/errors.md; the docs name no code that does not exist; and an error keeps its code,
 * message, details and original when it crosses a thread boundary as a record.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from './codec.ts';
import { ERROR_CODES, SuperstepError, fromErrorRecord, toErrorRecord, type ErrorRecord } from './errors.ts';
import { WARNING_CODES } from './warnings.ts';

const CODE = /^[A-Z][A-Z0-9_]*$/;
const errorsSource = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
const warningsSource = readFileSync(new URL('./warnings.ts', import.meta.url), 'utf8');
const docs = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

/** The lines of one `## ` section of docs/errors.md, without its heading. */
function section(title: string): string[] {
  const lines = docs.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${title}`);
  if (start < 0) throw new Error(`docs/errors.md has no "## ${title}" section`);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The backticked code a heading names: "### `WORKFLOW_BUSY`" → WORKFLOW_BUSY. */
function headingCodes(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const match = /^#{3,6}\s+`([^`]+)`/.exec(line);
    return match?.[1] === undefined ? [] : [match[1]];
  });
}

/** The backticked code in the first cell of each table row: "| `WORKFLOW_BUSY` | … |" → WORKFLOW_BUSY. */
function tableCodes(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const match = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    return match?.[1] === undefined ? [] : [match[1]];
  });
}

/** Keys as written in a code table's literal (`export const NAME = {…}`), duplicates included (an object would hide them). */
function writtenKeys(source: string, table: string): string[] {
  const literal = new RegExp(`export const ${table} = \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (literal === undefined) throw new Error(`cannot find the ${table} literal`);
  return [...literal.matchAll(/^\s{2}([A-Za-z0-9_]+):/gm)].flatMap((match) =>
    match[1] === undefined ? [] : [match[1]],
  );
}

const codes = Object.keys(ERROR_CODES);
const errorSection = section('Error codes');
const documentedHeadings = headingCodes(errorSection);
const documentedRows = tableCodes(errorSection);

describe.each([
  { table: 'ERROR_CODES', source: errorsSource, entries: ERROR_CODES },
  { table: 'WARNING_CODES', source: warningsSource, entries: WARNING_CODES },
])('$table', ({ table, source, entries }) => {
  it('has unique keys, as written in the source', () => {
    const keys = writtenKeys(source, table);
    expect(keys).toEqual(Object.keys(entries));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('has codes in SCREAMING_SNAKE_CASE, each with a description', () => {
    for (const [code, description] of Object.entries(entries)) {
      expect(code).toMatch(CODE);
      expect(description.trim().length, code).toBeGreaterThan(0);
    }
  });
});

describe('docs/errors.md', () => {
  it('documents every code as a heading or a table row', () => {
    const documented = new Set([...documentedHeadings, ...documentedRows]);
    expect(codes.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('mentions no code that is not in ERROR_CODES', () => {
    const known = new Set(codes);
    const mentioned = [...documentedHeadings, ...documentedRows];
    expect(mentioned.length).toBeGreaterThan(0);
    expect(mentioned.filter((code) => !known.has(code))).toEqual([]);
  });

  it('has one section per code', () => {
    expect(new Set(documentedHeadings).size).toBe(documentedHeadings.length);
  });

  it('lists exactly the codes of WARNING_CODES, each with a section, none of them an error code', () => {
    const warningSection = section('Warning codes');
    const expected = Object.keys(WARNING_CODES).sort();
    expect([...tableCodes(warningSection)].sort()).toEqual(expected);
    expect([...headingCodes(warningSection)].sort()).toEqual(expected);
    expect(expected.filter((code) => Object.hasOwn(ERROR_CODES, code))).toEqual([]);
  });
});

describe('error records', () => {
  /** Through the codec too: records are what actually crosses a thread boundary. */
  const cross = (record: ErrorRecord): ErrorRecord => decode(encode(record)) as ErrorRecord;

  it('round-trip a SuperstepError with its code, message, details and original', () => {
    const thrown = Object.assign(new Error('ledger refuses 3'), { code: 'E_LEDGER' });
    const error = new SuperstepError('EXECUTOR_FAILED', 'ledger refuses 3', {
      details: { executorId: 'ledger' },
      original: toErrorRecord(thrown),
    });

    const back = fromErrorRecord(cross(toErrorRecord(error)));

    expect(back).toBeInstanceOf(SuperstepError);
    if (!(back instanceof SuperstepError)) return;
    expect(back.code).toBe('EXECUTOR_FAILED');
    expect(back.message).toBe('ledger refuses 3');
    expect(back.details).toEqual({ executorId: 'ledger' });
    expect(back.original).toMatchObject({ code: 'E_LEDGER', name: 'Error', message: 'ledger refuses 3' });
    expect(back.stack).toBe(error.stack);
  });

  it('keep the string code of a plain Error', () => {
    const thrown = Object.assign(new TypeError('no such order'), { code: 'E_NO_ORDER' });

    const back = fromErrorRecord(cross(toErrorRecord(thrown))) as Error & { code?: unknown };

    expect(back).not.toBeInstanceOf(SuperstepError);
    expect(back.code).toBe('E_NO_ORDER');
    expect(back.name).toBe('TypeError');
    expect(back.message).toBe('no such order');
  });

  it('give a codeless throw the code ERROR', () => {
    expect(toErrorRecord(new Error('plain'))).toMatchObject({ code: 'ERROR', name: 'Error', message: 'plain' });
    expect(toErrorRecord('a string')).toEqual({ code: 'ERROR', name: 'NonError', message: 'a string' });
  });

  it('do not turn a record with an unknown code into a SuperstepError', () => {
    const back = fromErrorRecord({ code: 'NOT_A_CODE', name: 'SuperstepError', message: 'forged' });

    expect(back).not.toBeInstanceOf(SuperstepError);
    expect((back as Error & { code?: unknown }).code).toBe('NOT_A_CODE');
  });
});
