/**
 * `@superstep/runtime/nats`: actor hosts in other processes and on other machines, reached through NATS with
 * JetStream (docs/distributed.md). Needs the optional peer dependencies `@nats-io/transport-node`,
 * `@nats-io/jetstream`, `@nats-io/kv` and `@nats-io/obj`.
 */
export { connectNats, DEFAULT_NATS_SERVER, type NatsConnectionOptions } from './nats/connection.ts';
export { connectHosts, type ConnectHostsOptions } from './nats/connect-hosts.ts';
export type { HostUsage, NatsHostSet } from './nats/nats-host-set.ts';
export { startHostProcess, type HostProcess, type HostProcessOptions } from './nats/host-process.ts';
