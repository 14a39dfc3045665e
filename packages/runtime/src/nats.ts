/**
 * `@superstep/runtime/nats`: workflows beyond one process, through NATS with JetStream (docs/distributed.md):
 * actor hosts in other processes and on other machines, a lease that reserves a named instance across
 * processes, and run events on a stream that other processes follow. Needs the optional peer dependencies
 * `@nats-io/transport-node`, `@nats-io/jetstream`, `@nats-io/kv` and `@nats-io/obj`.
 */
export { connectNats, DEFAULT_NATS_SERVER, type NatsConnectionOptions } from './nats/connection.ts';
export { connectHosts, type ConnectHostsOptions } from './nats/connect-hosts.ts';
export type { HostUsage, NatsHostSet } from './nats/nats-host-set.ts';
export { startHostProcess, type HostProcess, type HostProcessOptions } from './nats/host-process.ts';
export { natsLease, type NatsLeaseOptions } from './nats/lease.ts';
export { natsEventStream, type NatsEventStream, type NatsEventStreamOptions } from './nats/events.ts';
export type { ObserveOptions } from './nats/observe.ts';
export type { InstanceLease, LeaseHold } from './main/run/instance-lease.ts';
export type { RunEventSink, RunEventOrigin } from './main/run/run-event-sink.ts';
