/**
 * The small JSON-over-HTTP layer the server examples share (`background`, `hosted-workflow`): reading a
 * bounded JSON body, answering JSON, turning errors into `{ error: { code, message } }` with a status, and
 * starting and stopping a `node:http` server.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSuperstepError, type ErrorCode } from '@superstep/runtime';

/** An error answered as `{ error: { code, message } }` with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a JSON request body of at most `limit` bytes (413 past it, 400 if it is not JSON). An empty body
 * is `undefined` when `optional`, else not JSON.
 */
export async function readJson(
  req: IncomingMessage,
  options: { readonly limit: number; readonly optional?: boolean },
): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > options.limit) {
      throw new HttpError(413, 'BODY_TOO_LARGE', `request bodies are limited to ${options.limit} bytes`);
    }
    chunks.push(bytes);
  }
  if (size === 0 && options.optional === true) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'the request body is not valid JSON');
  }
}

/** Answers JSON, unless the response is already under way or gone. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers an error: an {@link HttpError} as itself, a runtime error by its code's status, anything else 500. */
export function sendError(res: ServerResponse, error: unknown, statusOf: Partial<Record<ErrorCode, number>>): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HttpError) send(res, error.status, { error: { code: error.code, message } });
  else if (isSuperstepError(error)) send(res, statusOf[error.code] ?? 500, { error: { code: error.code, message } });
  else {
    const code = (error as { code?: unknown } | null)?.code;
    send(res, 500, { error: { code: typeof code === 'string' ? code : 'INTERNAL', message } });
  }
}

/** Starts listening; resolves with the server's URL, or rejects if it cannot (a port in use). */
export async function listen(server: Server, port: number, hostname: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return `http://${address}:${bound}`;
}

/** Stops accepting, drops open connections (long polls included), and resolves once the server is closed. */
export async function stop(server: Server): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeAllConnections();
  await stopped;
}
