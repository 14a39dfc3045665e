/**
 * The shape of a {@link StepReply} that came from another process. A host thread of this process is trusted to send
 * what the protocol says; bytes from a host process over the network are not: a reply with a malformed list would
 * otherwise throw deep inside the barrier's commit. The check walks the reply's lists once (their entries' tuples,
 * not the payloads inside, which the codec already decoded and which are the user's values).
 */
import type { StepReply } from './protocol.ts';
import { isString, isTuple } from './shape-guards.ts';

/** Where `reply` breaks the protocol (`outbox[2]: …`), or `undefined` if it is a well-formed reply. */
export function replyShapeProblem(reply: StepReply): string | undefined {
  if (!Number.isInteger(reply.superstep) || !Number.isInteger(reply.threadId)) return 'superstep or threadId';
  return (
    listProblem(reply.outbox, 'outbox', isOutboxRun) ??
    listProblem(reply.outputs, 'outputs', (entry) => isTuple(entry, 2) && isString(entry[0])) ??
    listProblem(reply.events, 'events', isHostEvent) ??
    listProblem(reply.sharedWrites, 'sharedWrites', isSharedWrite) ??
    listProblem(reply.snapshots, 'snapshots', isSnapshot) ??
    listProblem(reply.requests, 'requests', (entry) => isTuple(entry, 3) && isString(entry[0]) && isString(entry[1])) ??
    listProblem(reply.timings, 'timings', isTiming) ??
    failureProblem(reply.failure)
  );
}

function listProblem(list: unknown, name: string, valid: (entry: unknown) => boolean): string | undefined {
  if (!Array.isArray(list)) return `${name}: not a list`;
  const at = list.findIndex((entry) => !valid(entry));
  return at === -1 ? undefined : `${name}[${at}]: malformed`;
}

/** `[source, sends]`, `sends` flat `target, payload` pairs with each target a string or null. */
function isOutboxRun(entry: unknown): boolean {
  if (!isTuple(entry, 2) || !isString(entry[0])) return false;
  const sends = entry[1];
  if (!Array.isArray(sends) || sends.length % 2 !== 0) return false;
  for (let at = 0; at < sends.length; at += 2) {
    const target: unknown = sends[at];
    if (target !== null && !isString(target)) return false;
  }
  return true;
}

function isHostEvent(entry: unknown): boolean {
  if (!isTuple(entry, 4) || !isString(entry[1]) || !isString(entry[2])) return false;
  if (entry[0] === 'custom') return true;
  const details: unknown = entry[3];
  return entry[0] === 'warning' && typeof details === 'object' && details !== null && !Array.isArray(details);
}

function isSharedWrite(entry: unknown): boolean {
  return isTuple(entry, 4) && isString(entry[0]) && isString(entry[1]) && typeof entry[3] === 'boolean';
}

function isSnapshot(entry: unknown): boolean {
  return (
    isTuple(entry, 3) &&
    isString(entry[0]) &&
    entry[1] instanceof Uint8Array &&
    (entry[2] === null || isString(entry[2]))
  );
}

function isTiming(entry: unknown): boolean {
  if (!isTuple(entry, 6) || !isString(entry[0]) || typeof entry[5] !== 'boolean') return false;
  return entry.slice(1, 5).every((value) => typeof value === 'number');
}

function failureProblem(failure: unknown): string | undefined {
  if (failure === null) return undefined;
  if (typeof failure !== 'object' || Array.isArray(failure)) return 'failure: malformed';
  const { executorId, error } = failure as { executorId?: unknown; error?: unknown };
  if (!isString(executorId) || typeof error !== 'object' || error === null) return 'failure: malformed';
  const { code, message } = error as { code?: unknown; message?: unknown };
  return isString(code) && isString(message) ? undefined : 'failure.error: malformed';
}
