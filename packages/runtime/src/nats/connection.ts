/**
 * How the runtime reaches NATS: the options every NATS feature takes (the host set, the host process, and
 * anything else that talks to the same servers) and the one place the client is imported. The `@nats-io/*`
 * packages are optional peer dependencies: a missing one is `OPTIONAL_DEPENDENCY_MISSING`, naming it.
 */
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { SuperstepError } from '../shared/errors.ts';
import { importOptional } from '../shared/optional-dependency.ts';

/** The NATS servers to connect to and how; shared by every NATS feature of the runtime. */
export interface NatsConnectionOptions {
  /** Server URLs. Default `nats://127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /**
   * Passed to the official client as they are: credentials (`user`/`pass`, `token`, an `authenticator` for
   * nkeys or a creds file), `tls`, `name`, `pingInterval`, reconnect policy… `servers` here is ignored.
   */
  readonly connection?: Omit<NodeConnectionOptions, 'servers'>;
}

/** The default server: the local one. */
export const DEFAULT_NATS_SERVER = 'nats://127.0.0.1:4222';

/** Imports the NATS client (an optional peer dependency) for `neededFor`. */
export async function natsClient(neededFor: string): Promise<typeof import('@nats-io/transport-node')> {
  return await importOptional('@nats-io/transport-node', neededFor, () => import('@nats-io/transport-node'));
}

/**
 * Connects to NATS with `options`. Bad `servers` are `INVALID_OPTION`; a server that does not answer
 * rejects with the client's own error (callers wrap it in their own code).
 *
 * @example
 * const nc = await connectNats({ servers: 'nats://127.0.0.1:4222' });
 * await nc.close();
 */
export async function connectNats(options: NatsConnectionOptions = {}, neededFor = 'NATS'): Promise<NatsConnection> {
  const { connect } = await natsClient(neededFor);
  const given = options.servers ?? DEFAULT_NATS_SERVER;
  const servers = typeof given === 'string' ? [given] : [...given];
  if (servers.length === 0 || servers.some((server) => typeof server !== 'string' || server === '')) {
    throw new SuperstepError('INVALID_OPTION', 'options.servers must be a non-empty string or list of strings', {
      details: { option: 'servers' },
    });
  }
  return await connect({ ...options.connection, servers });
}
