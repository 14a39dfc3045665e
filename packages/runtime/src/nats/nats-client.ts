/**
 * The NATS clients (`@nats-io/*`, optional peer dependencies), loaded on first use and wrapped here: a
 * project that never uses `@superstep/runtime/nats` installs nothing, and one that uses it without the
 * packages gets `OPTIONAL_DEPENDENCY_MISSING` naming the package to install.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { SuperstepError } from '../shared/errors.ts';
import { importOptional } from '../shared/optional-dependency.ts';
import { connectNats as connectClient, DEFAULT_NATS_SERVER, type NatsConnectionOptions } from './connection.ts';

export type { NatsConnectionOptions } from './connection.ts';

export async function loadKv(neededFor: string): Promise<typeof import('@nats-io/kv')> {
  return await importOptional('@nats-io/kv', neededFor, () => import('@nats-io/kv'));
}

export async function loadJetStream(neededFor: string): Promise<typeof import('@nats-io/jetstream')> {
  return await importOptional('@nats-io/jetstream', neededFor, () => import('@nats-io/jetstream'));
}

/** Checks the connection options once, at the public boundary; returns the server list. */
export function checkConnectionOptions(options: NatsConnectionOptions): string[] {
  const given: unknown = options.servers ?? DEFAULT_NATS_SERVER;
  const servers: unknown[] = typeof given === 'string' ? [given] : Array.isArray(given) ? (given as unknown[]) : [];
  if (servers.length === 0 || servers.some((server) => typeof server !== 'string' || server === '')) {
    throw new SuperstepError('INVALID_OPTION', 'options.servers must be a non-empty string or list of strings', {
      details: { option: 'servers' },
    });
  }
  return servers as string[];
}

/** Connects for `neededFor`; a server that does not answer is `NATS_UNAVAILABLE`. */
export async function connectNats(options: NatsConnectionOptions, neededFor: string): Promise<NatsConnection> {
  const servers = checkConnectionOptions(options);
  try {
    return await connectClient(options, neededFor);
  } catch (error) {
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError(
      'NATS_UNAVAILABLE',
      `${neededFor} cannot reach NATS at ${servers.join(', ')}: ${String(error)}`,
      {
        cause: error,
        details: { servers, neededFor },
      },
    );
  }
}

/** The JetStream API error code of `error`, if it is one (10071: wrong last sequence). */
export function jetStreamErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** JetStream's "wrong last sequence": a create on an existing key, or an update with a stale revision. */
export const WRONG_LAST_SEQUENCE = 10071;

/**
 * A NATS-safe token for a name: base64url of its UTF-8 bytes. KV keys and subject tokens admit only a few
 * characters; instance names are free text (`orders/EU`), so they are encoded, never interpolated.
 */
export function natsToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}
