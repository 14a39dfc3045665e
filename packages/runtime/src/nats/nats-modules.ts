/**
 * The `@nats-io/*` clients the host set and the host process use, imported together when one of them is
 * first started (they are optional peer dependencies: a missing one is `OPTIONAL_DEPENDENCY_MISSING`).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { importOptional } from '../shared/optional-dependency.ts';
import { connectNats, natsClient, type NatsConnectionOptions } from './connection.ts';

/** The client modules, loaded once per use site. */
export interface NatsModules {
  readonly client: typeof import('@nats-io/transport-node');
  readonly kv: typeof import('@nats-io/kv');
  readonly obj: typeof import('@nats-io/obj');
}

/** A connection with the modules it was made with. */
export interface NatsSession {
  readonly nc: NatsConnection;
  readonly modules: NatsModules;
}

/** Imports every client module `neededFor` uses. */
export async function loadNatsModules(neededFor: string): Promise<NatsModules> {
  const [client, kv, obj] = await Promise.all([
    natsClient(neededFor),
    importOptional('@nats-io/kv', neededFor, () => import('@nats-io/kv')),
    importOptional('@nats-io/obj', neededFor, () => import('@nats-io/obj')),
  ]);
  return { client, kv, obj };
}

/** Loads the modules and connects. */
export async function openNatsSession(options: NatsConnectionOptions, neededFor: string): Promise<NatsSession> {
  const modules = await loadNatsModules(neededFor);
  const nc = await connectNats(options, neededFor);
  return { nc, modules };
}
