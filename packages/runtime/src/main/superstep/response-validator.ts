/**
 * Validates answers on the main thread. The executor's schema lives in its module; a worker busy with a
 * long handler would make `respond()` wait for it, so the main thread imports the module itself (executor
 * modules are worker-safe, hence main-safe) and validates at once. If the module cannot be imported here,
 * the answer is checked by the host that holds the executor instead.
 */
import { SuperstepError } from '../../shared/errors.ts';
import { isExecutorDefinition, type ExecutorDefinition } from '../../shared/executor-definition.ts';
import type { HostLink } from '../../shared/host-set.ts';
import type { ExecutorLocation, ResponseCheck } from '../../shared/protocol.ts';
import { checkResponse } from '../../shared/response-check.ts';
import type { ChildRunner, PendingRequest } from './coordinator-types.ts';

export class ResponseValidator {
  /** Definitions imported on this thread, by executor id (`null`: not importable here). */
  private readonly definitions = new Map<string, Promise<ExecutorDefinition | null>>();

  constructor(private readonly locations: ReadonlyMap<string, ExecutorLocation>) {}

  /** The check, or `undefined` if this thread cannot load the executor (ask its host). */
  async check(executorId: string, value: unknown): Promise<ResponseCheck | undefined> {
    const definition = await this.definition(executorId);
    return definition === null ? undefined : await checkResponse(definition, value);
  }

  private definition(executorId: string): Promise<ExecutorDefinition | null> {
    let found = this.definitions.get(executorId);
    if (found === undefined) {
      found = this.load(executorId);
      this.definitions.set(executorId, found);
    }
    return found;
  }

  private async load(executorId: string): Promise<ExecutorDefinition | null> {
    const location = this.locations.get(executorId);
    if (location === undefined) return null;
    try {
      const namespace = (await import(location.module)) as Record<string, unknown>;
      const definition = namespace[location.exportName];
      return isExecutorDefinition(definition) ? definition : null;
    } catch {
      return null;
    }
  }
}

/** What checking an answer needs besides the executor's own definition. */
export interface AnswerCheckParts {
  readonly instance: string;
  readonly validator: ResponseValidator;
  /** Sub-workflow nodes: an answer to a node's request is its child's to check. */
  readonly children: ReadonlyMap<string, ChildRunner>;
  /** The host that holds an executor (it checks what this thread cannot). */
  readonly hostOf: (executorId: string) => HostLink;
}

/**
 * The requesting executor's own check of an answer (see `RequestBook`): its child's, or its response
 * schema — checked on this thread, not on the (possibly busy) host: an answer must not wait for a long
 * handler. Resolves to the accepted value; rejects with `RESPONSE_INVALID`.
 */
export async function checkAnswer(parts: AnswerCheckParts, request: PendingRequest, value: unknown): Promise<unknown> {
  const { requestId, executorId } = request;
  const child = parts.children.get(executorId);
  if (child !== undefined) return await child.validate(requestId, value);
  const check =
    (await parts.validator.check(executorId, value)) ??
    (await parts.hostOf(executorId).control.validateResponse(parts.instance, executorId, value));
  if (!check.ok) {
    throw new SuperstepError('RESPONSE_INVALID', `answer to "${requestId}" rejected: ${check.issues.join('; ')}`, {
      details: { requestId, executorId, issues: check.issues },
    });
  }
  return check.value;
}
