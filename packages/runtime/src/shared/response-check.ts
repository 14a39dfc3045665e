/**
 * Checks an answer against an executor's `responseSchema` (guarantee 20). Pure: used by the main thread (which
 * imports the executor's module to validate without waiting for a busy worker) and by actor hosts.
 */
import type { ExecutorDefinition } from './executor-definition.ts';
import type { ResponseCheck } from './protocol.ts';

export async function checkResponse(definition: ExecutorDefinition, value: unknown): Promise<ResponseCheck> {
  const schema = definition.responseSchema;
  if (schema === undefined) return { ok: true, value };
  const result = await schema['~standard'].validate(value);
  if (result.issues !== undefined) {
    return {
      ok: false,
      issues: result.issues.map((issue) => {
        const path = issue.path?.map((part) => String(typeof part === 'object' ? part.key : part)).join('.');
        return path === undefined || path === '' ? issue.message : `${path}: ${issue.message}`;
      }),
    };
  }
  return { ok: true, value: result.value };
}
