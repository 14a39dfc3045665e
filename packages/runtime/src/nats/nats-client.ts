/**
 * The NATS clients (`@nats-io/*`, optional peer dependencies), loaded on first use and wrapped here: a
 * project that never uses `@superstep/runtime/nats` installs nothing, and one that uses it without the
 * packages gets `OPTIONAL_DEPENDENCY_MISSING` naming the package to install.
 */
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { SuperstepError } from '../shared/errors.ts';
import { importOptional } from '../shared/optional-dependency.ts';

/** How a NATS feature reaches the server: a connection you own, or servers to connect to. */
export interface NatsConnectOptions {
  /** Servers to connect to, e.g. `'nats://127.0.0.1:4222'`. Ignored when `connection` is given. */
  readonly servers?: string | readonly string[];
  /** An open connection to use; it stays yours (closing the feature does not close it). */
  readonly connection?: NatsConnection;
  /** Further client options (credentials, TLS, name…), passed to `connect()` as they are. */
  readonly connectOptions?: Omit<ConnectionOptions, 'servers'>;
}

/** A connection and whether closing the feature must close it. */
export interface NatsLink {
  readonly connection: NatsConnection;
  readonly owned: boolean;
}

export async function loadKv(neededFor: string): Promise<typeof import('@nats-io/kv')> {
  return await importOptional('@nats-io/kv', neededFor, () => import('@nats-io/kv'));
}

export async function loadJetStream(neededFor: string): Promise<typeof import('@nats-io/jetstream')> {
  return await importOptional('@nats-io/jetstream', neededFor, () => import('@nats-io/jetstream'));
}

/** Opens the connection the options describe (or takes the given one). */
export async function connectNats(options: NatsConnectOptions, neededFor: string): Promise<NatsLink> {
  if (options.connection !== undefined) return { connection: options.connection, owned: false };
  const { connect } = await importOptional(
    '@nats-io/transport-node',
    neededFor,
    () => import('@nats-io/transport-node'),
  );
  const servers = typeof options.servers === 'string' ? options.servers : [...(options.servers ?? [])];
  try {
    return { connection: await connect({ ...options.connectOptions, servers }), owned: true };
  } catch (error) {
    throw new SuperstepError(
      'NATS_UNAVAILABLE',
      `${neededFor} cannot reach NATS at ${String(servers)}: ${String(error)}`,
      {
        cause: error,
        details: { servers, neededFor },
      },
    );
  }
}

/** Checks the connection options once, at the public boundary. */
export function checkConnectOptions(options: NatsConnectOptions, name: string): void {
  const { servers, connection } = options;
  const serverList = typeof servers === 'string' ? [servers] : servers;
  const validServers =
    Array.isArray(serverList) && serverList.length > 0 && serverList.every((s) => typeof s === 'string' && s !== '');
  if (connection === undefined && !validServers) {
    throw new SuperstepError(
      'INVALID_OPTION',
      `${name}.servers must be a server URL or a non-empty list of them (or pass ${name}.connection)`,
      {
        details: { option: `${name}.servers` },
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
