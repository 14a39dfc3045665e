/**
 * `@superstep/runtime/nats` — workflows beyond one process over NATS JetStream: a lease that reserves a
 * named instance across processes, and run events on a stream that other processes can follow. Needs the
 * optional peer dependencies `@nats-io/transport-node`, `@nats-io/kv` and `@nats-io/jetstream`.
 */
export { natsLease, type NatsLeaseOptions } from './nats/lease.ts';
export { natsEventStream, type NatsEventStream, type NatsEventStreamOptions } from './nats/events.ts';
export type { ObserveOptions } from './nats/observe.ts';
export type { NatsConnectionOptions } from './nats/nats-client.ts';
export type { InstanceLease, LeaseHold } from './main/run/instance-lease.ts';
export type { RunEventSink, RunEventOrigin } from './main/run/run-event-sink.ts';
